//! USB audio devices and cameras, classified from their descriptors: what
//! a softphone needs. Pure: the Linux collector feeds it from sysfs, the
//! tests from real `lsusb -v` captures; a Windows collector can feed it too.
//!
//! Rules (USB Audio Class terminal types, in audio-control interfaces only,
//! because video terminals reuse the same numbers):
//! - capture: an input terminal of the microphone (0x02xx) or
//!   bidirectional (0x04xx) family; playback: an output terminal of the
//!   speaker (0x03xx) or bidirectional family;
//! - headset: a handset or headset terminal (0x0401, 0x0402), or capture
//!   and playback together with a HID interface (call-control buttons) and
//!   no video. A dock's audio (headphone jack and line in, no HID) and a
//!   webcam's microphone are not headsets.

use parc_model::{AudioDevice, Camera, DeviceBus};

const CLASS_AUDIO: u8 = 1;
const CLASS_HID: u8 = 3;
const CLASS_VIDEO: u8 = 14;
const SUBCLASS_AUDIO_CONTROL: u8 = 1;

/// What the classification needs from one USB device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UsbDevice {
    pub vendor_id: u16,
    pub product_id: u16,
    /// The best name known: the product string, else the usb.ids name.
    pub name: String,
    pub interface_classes: Vec<u8>,
    /// Audio-control input terminals' wTerminalType.
    pub input_terminals: Vec<u16>,
    /// Audio-control output terminals' wTerminalType.
    pub output_terminals: Vec<u16>,
}

impl UsbDevice {
    fn usb_id(&self) -> String {
        format!("{:04x}:{:04x}", self.vendor_id, self.product_id)
    }

    fn display_name(&self) -> String {
        if self.name.trim().is_empty() {
            format!("USB device {}", self.usb_id())
        } else {
            self.name.trim().to_string()
        }
    }
}

fn family(terminal: u16) -> u16 {
    terminal & 0xff00
}

pub fn classify(device: &UsbDevice) -> (Option<AudioDevice>, Option<Camera>) {
    let has = |class: u8| device.interface_classes.contains(&class);
    let camera = has(CLASS_VIDEO).then(|| Camera {
        name: device.display_name(),
        bus: DeviceBus::Usb,
        usb_id: device.usb_id(),
    });
    if !has(CLASS_AUDIO) {
        return (None, camera);
    }
    let capture = device.input_terminals.iter().any(|t| matches!(family(*t), 0x0200 | 0x0400));
    let playback = device.output_terminals.iter().any(|t| matches!(family(*t), 0x0300 | 0x0400));
    let headset_terminal =
        device.input_terminals.iter().chain(&device.output_terminals).any(|t| matches!(t, 0x0401 | 0x0402));
    let headset = headset_terminal || (capture && playback && has(CLASS_HID) && !has(CLASS_VIDEO));
    let audio = AudioDevice {
        name: device.display_name(),
        bus: DeviceBus::Usb,
        capture,
        playback,
        headset,
        usb_id: device.usb_id(),
    };
    (Some(audio), camera)
}

/// Reads the interface classes and audio terminals from a device's raw
/// descriptors (sysfs `descriptors`: the device descriptor, then each
/// configuration with its interfaces). Malformed input stops the walk; it
/// never panics.
pub fn parse_descriptors(bytes: &[u8], device: &mut UsbDevice) {
    const INTERFACE: u8 = 4;
    const CS_INTERFACE: u8 = 0x24;
    let mut offset = 0;
    let mut current = (0u8, 0u8); // class, subclass of the interface being read
    while offset + 2 <= bytes.len() {
        let length = bytes[offset] as usize;
        if length < 2 || offset + length > bytes.len() {
            break;
        }
        let descriptor = &bytes[offset..offset + length];
        match descriptor[1] {
            INTERFACE if length >= 9 => {
                current = (descriptor[5], descriptor[6]);
                if !device.interface_classes.contains(&current.0) {
                    device.interface_classes.push(current.0);
                }
            }
            CS_INTERFACE if current == (CLASS_AUDIO, SUBCLASS_AUDIO_CONTROL) && length >= 6 => {
                let terminal = u16::from_le_bytes([descriptor[4], descriptor[5]]);
                match descriptor[2] {
                    2 => device.input_terminals.push(terminal),
                    3 => device.output_terminals.push(terminal),
                    _ => {}
                }
            }
            _ => {}
        }
        offset += length;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// Reads `lsusb -v` text into devices, the way the agent reads sysfs.
    fn parse_lsusb(text: &str) -> Vec<UsbDevice> {
        let mut devices: Vec<UsbDevice> = Vec::new();
        let mut interface = (0u8, 0u8);
        let mut subtype = 0u8;
        for line in text.lines() {
            let trimmed = line.trim();
            if let Some(rest) = line.strip_prefix("Bus ") {
                let id = rest.split(" ID ").nth(1).unwrap_or("");
                let (ids, name) = id.split_once(' ').unwrap_or((id, ""));
                let (vendor, product) = ids.split_once(':').unwrap_or(("0", "0"));
                devices.push(UsbDevice {
                    vendor_id: u16::from_str_radix(vendor, 16).unwrap_or(0),
                    product_id: u16::from_str_radix(product, 16).unwrap_or(0),
                    name: name.trim().to_string(),
                    ..UsbDevice::default()
                });
                continue;
            }
            let Some(device) = devices.last_mut() else { continue };
            let mut words = trimmed.split_whitespace();
            let key = words.next().unwrap_or("");
            let value = words.next().unwrap_or("");
            match key {
                "iProduct" => {
                    let text: Vec<&str> = words.collect();
                    if !text.is_empty() {
                        device.name = text.join(" ");
                    }
                }
                "bInterfaceClass" => {
                    interface.0 = value.parse().unwrap_or(0);
                    if !device.interface_classes.contains(&interface.0) {
                        device.interface_classes.push(interface.0);
                    }
                }
                "bInterfaceSubClass" => interface.1 = value.parse().unwrap_or(0),
                "bDescriptorSubtype" => subtype = value.parse().unwrap_or(0),
                "wTerminalType" if interface == (CLASS_AUDIO, SUBCLASS_AUDIO_CONTROL) => {
                    let terminal = u16::from_str_radix(value.trim_start_matches("0x"), 16).unwrap_or(0);
                    match subtype {
                        2 => device.input_terminals.push(terminal),
                        3 => device.output_terminals.push(terminal),
                        _ => {}
                    }
                }
                _ => {}
            }
        }
        devices
    }

    fn capture(name: &str) -> (Vec<AudioDevice>, Vec<Camera>) {
        let path =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/fixtures/real/lsusb").join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e} (CI has ../shared beside the checkout)", path.display()));
        let mut audio = Vec::new();
        let mut cameras = Vec::new();
        for device in parse_lsusb(&text) {
            let (a, c) = classify(&device);
            audio.extend(a);
            cameras.extend(c);
        }
        (audio, cameras)
    }

    fn headsets(audio: &[AudioDevice]) -> Vec<&str> {
        audio.iter().filter(|a| a.headset).map(|a| a.usb_id.as_str()).collect()
    }

    #[test]
    fn plantronics_blackwire_is_a_headset_by_its_terminal_though_it_has_no_name() {
        let (audio, cameras) = capture("laptop-lenovo-thinkbook-16p-gen2-plantronics-blackwire-3210.txt");
        assert_eq!(headsets(&audio), ["047f:c055"]);
        let headset = audio.iter().find(|a| a.headset).unwrap();
        assert_eq!(headset.name, "Plantronics, Inc.", "the vendor name is all there is");
        assert!(headset.capture && headset.playback);
        assert!(cameras.iter().any(|c| c.usb_id == "04f2:b71f"), "{cameras:?}");
    }

    #[test]
    fn clearchat_is_a_headset_and_the_dock_audio_is_not() {
        let (audio, cameras) = capture("laptop-dell-precision-5510-logitech-clearchat-pro.txt");
        assert_eq!(headsets(&audio), ["046d:0a0b"]);
        let dock = audio.iter().find(|a| a.usb_id == "0bda:4014").expect("dock audio listed");
        assert!(dock.capture && dock.playback && !dock.headset, "{dock:?}");
        assert_eq!(cameras.iter().map(|c| c.usb_id.as_str()).collect::<Vec<_>>(), ["1bcf:2b95"]);
    }

    #[test]
    fn g935_is_named_by_its_product_string() {
        let (audio, cameras) = capture("laptop-lenovo-thinkbook-15-g2-logitech-g935-headset.txt");
        let headset = audio.iter().find(|a| a.headset).expect("a headset");
        assert_eq!((headset.usb_id.as_str(), headset.name.as_str()), ("046d:0a87", "G935 Gaming Headset"));
        assert!(cameras.iter().any(|c| c.name == "Integrated Camera"), "{cameras:?}");
    }

    #[test]
    fn webcams_with_microphones_are_cameras_not_headsets() {
        for (file, webcam) in [
            ("desktop-hp-compaq-6200-pro-ms-lifecam-hd-3000.txt", "045e:0779"),
            ("desktop-hp-prodesk-600-g1-gembird-webcam.txt", "1908:2310"),
            ("desktop-dell-optiplex-7010-microdia-webcam.txt", "0c45:636b"),
        ] {
            let (audio, cameras) = capture(file);
            assert!(headsets(&audio).is_empty(), "{file}: {audio:?}");
            assert!(cameras.iter().any(|c| c.usb_id == webcam), "{file}: {cameras:?}");
            let mic = audio.iter().find(|a| a.usb_id == webcam).expect("the webcam's microphone");
            assert!(mic.capture && !mic.playback, "{file}: {mic:?}");
        }
    }

    #[test]
    fn raw_descriptors_give_the_same_answer_as_lsusb() {
        // A headset: device descriptor, configuration, audio-control interface
        // with a microphone input and a headset output, streaming, and HID.
        let mut bytes = vec![18, 1, 0, 2, 0, 0, 0, 64, 0x7f, 0x04, 0x55, 0xc0, 0, 1, 1, 2, 0, 1];
        bytes.extend([9, 2, 100, 0, 3, 1, 0, 0x80, 50]);
        bytes.extend([9, 4, 0, 0, 0, CLASS_AUDIO, SUBCLASS_AUDIO_CONTROL, 0, 0]);
        bytes.extend([12, 0x24, 2, 1, 0x01, 0x02, 0, 1, 0, 0, 0, 0]); // input: microphone
        bytes.extend([9, 0x24, 3, 2, 0x02, 0x04, 0, 1, 0]); // output: headset
        bytes.extend([9, 4, 1, 0, 1, CLASS_AUDIO, 2, 0, 0]);
        bytes.extend([9, 4, 2, 0, 1, CLASS_HID, 0, 0, 0]);
        let mut device = UsbDevice { vendor_id: 0x047f, product_id: 0xc055, ..UsbDevice::default() };
        parse_descriptors(&bytes, &mut device);
        assert_eq!(device.interface_classes, [CLASS_AUDIO, CLASS_HID]);
        assert_eq!(
            (device.input_terminals.as_slice(), device.output_terminals.as_slice()),
            (&[0x0201][..], &[0x0402][..])
        );
        let (audio, camera) = classify(&device);
        assert!(audio.unwrap().headset);
        assert!(camera.is_none());

        // Truncated and zero-length descriptors stop the walk without panicking.
        let mut broken = UsbDevice::default();
        parse_descriptors(&[9, 4, 0], &mut broken);
        parse_descriptors(&[0, 0, 0, 0], &mut broken);
        parse_descriptors(&bytes[..40], &mut broken);
        assert!(broken.output_terminals.is_empty());
    }
}
