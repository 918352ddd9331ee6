//! Audio devices and cameras: USB ones from /sys/bus/usb/devices (their raw
//! descriptors, classified by `collect::usb`), built-in sound cards from
//! /proc/asound.

use super::Root;
use crate::collect::parse::sanitize;
use crate::collect::usb::{classify, parse_descriptors, UsbDevice};
use parc_model::{AudioDevice, DeviceBus, Peripherals};

pub fn read(root: &Root) -> Result<Peripherals, String> {
    if !root.exists("sys/bus/usb/devices") && !root.exists("proc/asound") {
        return Err("neither /sys/bus/usb/devices nor /proc/asound is readable".into());
    }
    let mut peripherals = Peripherals::default();
    for name in root.list("sys/bus/usb/devices") {
        // Interfaces ("1-1:1.0") and root hubs ("usb1") are not devices.
        if name.contains(':') || name.starts_with("usb") {
            continue;
        }
        let dir = format!("sys/bus/usb/devices/{name}");
        let attr = |file: &str| sanitize(&root.text(&format!("{dir}/{file}")));
        let hex = |file: &str| u16::from_str_radix(attr(file).trim(), 16).unwrap_or(0);
        let product = attr("product");
        let manufacturer = attr("manufacturer");
        let mut device = UsbDevice {
            vendor_id: hex("idVendor"),
            product_id: hex("idProduct"),
            name: if product.is_empty() { manufacturer } else { product },
            ..UsbDevice::default()
        };
        if let Ok(Some(bytes)) = root.read_capped(&format!("{dir}/descriptors"), 64 * 1024) {
            parse_descriptors(&bytes, &mut device);
        }
        let (audio, camera) = classify(&device);
        peripherals.audio.extend(audio);
        peripherals.cameras.extend(camera);
    }
    peripherals.audio.extend(builtin_cards(&root.text("proc/asound/cards"), &root.text("proc/asound/pcm")));
    peripherals.audio.truncate(parc_proto::limits::MAX_PERIPHERALS);
    peripherals.cameras.truncate(parc_proto::limits::MAX_PERIPHERALS);
    Ok(peripherals)
}

/// Sound cards that are not USB (those are listed from their descriptors):
/// `/proc/asound/cards` names them, `/proc/asound/pcm` says what they do.
pub fn builtin_cards(cards: &str, pcm: &str) -> Vec<AudioDevice> {
    let mut devices = Vec::new();
    for line in cards.lines() {
        // " 0 [PCH            ]: HDA-Intel - HDA Intel PCH"
        let Some((index, rest)) = line.trim_start().split_once(' ') else { continue };
        let Ok(index) = index.parse::<u32>() else { continue };
        let Some((_, description)) = rest.split_once("]: ") else { continue };
        let (driver, name) = description.split_once(" - ").unwrap_or((description, description));
        if driver.trim() == "USB-Audio" {
            continue;
        }
        let prefix = format!("{index:02}-");
        let streams: Vec<&str> = pcm.lines().filter(|l| l.starts_with(&prefix)).collect();
        let capture = streams.iter().any(|l| l.contains("capture"));
        let playback = streams.iter().any(|l| l.contains("playback"));
        if !capture && !playback {
            continue;
        }
        devices.push(AudioDevice {
            name: sanitize(name),
            bus: DeviceBus::Internal,
            capture,
            playback,
            headset: false,
            usb_id: String::new(),
        });
    }
    devices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_cards_with_their_streams() {
        let cards = " 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf1230000 irq 135\n \
                     1 [Headset        ]: USB-Audio - Plantronics Blackwire 3210\n \
                     2 [NVidia         ]: HDA-Intel - HDA NVidia\n";
        let pcm = "00-00: ALC3246 Analog : ALC3246 Analog : playback 1 : capture 1\n\
                   01-00: USB Audio : USB Audio : playback 1 : capture 1\n\
                   02-03: HDMI 0 : HDMI 0 : playback 1\n";
        let devices = builtin_cards(cards, pcm);
        assert_eq!(devices.len(), 2, "USB cards come from their descriptors: {devices:?}");
        assert_eq!(
            (devices[0].name.as_str(), devices[0].capture, devices[0].playback),
            ("HDA Intel PCH", true, true)
        );
        assert_eq!((devices[1].name.as_str(), devices[1].capture), ("HDA NVidia", false));
    }
}
