//! Wi-Fi adapter capabilities from the kernel's nl80211 interface (generic
//! netlink, the same source as `iw phy`, without its text output): 802.11
//! generations, bands, and the ciphers that enterprise authentication needs.
//!
//! The socket code is the only unsafe code in the agent and stays small;
//! parsing the replies is pure and tested on built messages.

use parc_model::WifiCapabilities;
use std::collections::{BTreeMap, BTreeSet};

const NLMSG_ERROR: u16 = 2;
const NLMSG_DONE: u16 = 3;
const GENL_ID_CTRL: u16 = 0x10;
const CTRL_CMD_GETFAMILY: u8 = 3;
const CTRL_ATTR_FAMILY_ID: u16 = 1;
const CTRL_ATTR_FAMILY_NAME: u16 = 2;
const NL80211_CMD_GET_WIPHY: u8 = 1;
const NL80211_ATTR_WIPHY: u16 = 1;
const NL80211_ATTR_WIPHY_NAME: u16 = 2;
const NL80211_ATTR_WIPHY_BANDS: u16 = 22;
const NL80211_ATTR_CIPHER_SUITES: u16 = 57;
const NL80211_ATTR_SPLIT_WIPHY_DUMP: u16 = 174;
const NL80211_BAND_ATTR_HT_CAPA: u16 = 4;
const NL80211_BAND_ATTR_VHT_CAPA: u16 = 8;
const NL80211_BAND_ATTR_IFTYPE_DATA: u16 = 9;
const NL80211_BAND_IFTYPE_ATTR_HE_CAP_PHY: u16 = 3;
const NL80211_BAND_IFTYPE_ATTR_EHT_CAP_PHY: u16 = 9;
const BAND_2GHZ: u16 = 0;
const BAND_5GHZ: u16 = 1;
const BAND_6GHZ: u16 = 3;
const CIPHER_CCMP_128: u32 = 0x000F_AC04;
const CIPHER_BIP_CMAC_128: u32 = 0x000F_AC06;

/// What one radio (wiphy) said, accumulated over a split dump.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Phy {
    pub name: String,
    pub bands: BTreeSet<u16>,
    pub ht: bool,
    pub vht: bool,
    pub he: bool,
    pub eht: bool,
    pub ciphers: BTreeSet<u32>,
}

/// The capabilities people plan with. Enterprise authentication (802.1X)
/// runs in wpa_supplicant on Linux, so the radio decides only the ciphers:
/// WPA2-Enterprise needs CCMP; WPA3-Enterprise also needs management-frame
/// protection (BIP-CMAC).
pub fn capabilities(phy: &Phy) -> WifiCapabilities {
    let mut standards = Vec::new();
    for (supported, name) in
        [(phy.ht, "802.11n"), (phy.vht, "802.11ac"), (phy.he, "802.11ax"), (phy.eht, "802.11be")]
    {
        if supported {
            standards.push(name.to_string());
        }
    }
    let bands = [(BAND_2GHZ, "2.4GHz"), (BAND_5GHZ, "5GHz"), (BAND_6GHZ, "6GHz")]
        .iter()
        .filter(|(band, _)| phy.bands.contains(band))
        .map(|(_, name)| name.to_string())
        .collect();
    let ccmp = phy.ciphers.contains(&CIPHER_CCMP_128);
    WifiCapabilities {
        standards,
        bands,
        wpa2_enterprise: ccmp,
        wpa3_enterprise: ccmp && phy.ciphers.contains(&CIPHER_BIP_CMAC_128),
        driver_version: String::new(),
        driver_date: String::new(),
    }
}

/// Netlink attributes: (type without flags, payload). Stops at malformed data.
fn attributes(mut data: &[u8]) -> Vec<(u16, &[u8])> {
    let mut found = Vec::new();
    while data.len() >= 4 {
        let length = u16::from_ne_bytes([data[0], data[1]]) as usize;
        let kind = u16::from_ne_bytes([data[2], data[3]]) & 0x3fff;
        if length < 4 || length > data.len() {
            break;
        }
        found.push((kind, &data[4..length]));
        let aligned = (length + 3) & !3;
        data = &data[aligned.min(data.len())..];
    }
    found
}

fn u32_of(payload: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(payload.get(0..4)?.try_into().ok()?))
}

/// Walks a reply buffer: each netlink message of `family` carries (part of)
/// one wiphy, which is merged into `phys` by its index. Returns whether the
/// dump is complete.
pub fn parse_messages(mut buffer: &[u8], family: u16, phys: &mut BTreeMap<u32, Phy>) -> Result<bool, String> {
    while buffer.len() >= 16 {
        let length = u32::from_ne_bytes([buffer[0], buffer[1], buffer[2], buffer[3]]) as usize;
        let kind = u16::from_ne_bytes([buffer[4], buffer[5]]);
        if length < 16 || length > buffer.len() {
            return Err("truncated netlink message".into());
        }
        let message = &buffer[16..length];
        match kind {
            NLMSG_DONE => return Ok(true),
            NLMSG_ERROR => {
                let code =
                    message.get(0..4).map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]])).unwrap_or(0);
                if code != 0 {
                    return Err(format!("nl80211 answered error {}", -code));
                }
            }
            k if k == family && message.len() >= 4 => merge(&message[4..], phys),
            _ => {}
        }
        buffer = &buffer[((length + 3) & !3).min(buffer.len())..];
    }
    Ok(false)
}

fn merge(attrs: &[u8], phys: &mut BTreeMap<u32, Phy>) {
    let attrs = attributes(attrs);
    let Some(index) = attrs.iter().find(|(k, _)| *k == NL80211_ATTR_WIPHY).and_then(|(_, p)| u32_of(p))
    else {
        return;
    };
    let phy = phys.entry(index).or_default();
    for (kind, payload) in attrs {
        match kind {
            NL80211_ATTR_WIPHY_NAME => {
                phy.name = String::from_utf8_lossy(payload).trim_end_matches('\0').to_string();
            }
            NL80211_ATTR_CIPHER_SUITES => {
                phy.ciphers
                    .extend(payload.chunks_exact(4).map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])));
            }
            NL80211_ATTR_WIPHY_BANDS => {
                for (band, band_attrs) in attributes(payload) {
                    phy.bands.insert(band);
                    for (attr, value) in attributes(band_attrs) {
                        match attr {
                            NL80211_BAND_ATTR_HT_CAPA => phy.ht = true,
                            NL80211_BAND_ATTR_VHT_CAPA => phy.vht = true,
                            NL80211_BAND_ATTR_IFTYPE_DATA => {
                                for (_, entry) in attributes(value) {
                                    for (field, _) in attributes(entry) {
                                        phy.he |= field == NL80211_BAND_IFTYPE_ATTR_HE_CAP_PHY;
                                        phy.eht |= field == NL80211_BAND_IFTYPE_ATTR_EHT_CAP_PHY;
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// Appends one attribute (payload padded to 4 bytes).
fn put(buffer: &mut Vec<u8>, kind: u16, payload: &[u8]) {
    let length = u16::try_from(4 + payload.len()).unwrap_or(u16::MAX);
    buffer.extend(length.to_ne_bytes());
    buffer.extend(kind.to_ne_bytes());
    buffer.extend(payload);
    while !buffer.len().is_multiple_of(4) {
        buffer.push(0);
    }
}

/// One netlink request: header, generic-netlink header, attributes.
fn request(family: u16, command: u8, flags: u16, attrs: &[u8]) -> Vec<u8> {
    let length = u32::try_from(16 + 4 + attrs.len()).unwrap_or(u32::MAX);
    let mut message = Vec::with_capacity(length as usize);
    message.extend(length.to_ne_bytes());
    message.extend(family.to_ne_bytes());
    message.extend(flags.to_ne_bytes());
    message.extend(1u32.to_ne_bytes()); // sequence
    message.extend(0u32.to_ne_bytes()); // port: the kernel fills it in
    message.extend([command, 1, 0, 0]);
    message.extend(attrs);
    message
}

/// The Wi-Fi radios of this machine by name ("phy0"), read from the kernel.
/// `Ok(empty)` when nl80211 is absent (no Wi-Fi driver loaded).
pub fn read_phys() -> Result<BTreeMap<String, WifiCapabilities>, String> {
    let socket = Netlink::open()?;
    let mut name = Vec::new();
    put(&mut name, CTRL_ATTR_FAMILY_NAME, b"nl80211\0");
    socket.send(&request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1 | 4, &name))?;
    let reply = socket.receive()?;
    let Some(family) = family_id(&reply) else {
        return Ok(BTreeMap::new()); // no nl80211: no Wi-Fi driver
    };
    let mut split = Vec::new();
    put(&mut split, NL80211_ATTR_SPLIT_WIPHY_DUMP, &[]);
    socket.send(&request(family, NL80211_CMD_GET_WIPHY, 1 | 0x300, &split))?;
    let mut phys = BTreeMap::new();
    for _ in 0..1000 {
        if parse_messages(&socket.receive()?, family, &mut phys)? {
            return Ok(phys.into_values().map(|phy| (phy.name.clone(), capabilities(&phy))).collect());
        }
    }
    Err("nl80211 dump did not end".into())
}

fn family_id(reply: &[u8]) -> Option<u16> {
    if reply.len() < 20 || u16::from_ne_bytes([reply[4], reply[5]]) != GENL_ID_CTRL {
        return None;
    }
    let length = (u32::from_ne_bytes([reply[0], reply[1], reply[2], reply[3]]) as usize).min(reply.len());
    attributes(reply.get(20..length)?)
        .into_iter()
        .find(|(k, _)| *k == CTRL_ATTR_FAMILY_ID)
        .and_then(|(_, p)| Some(u16::from_ne_bytes(p.get(0..2)?.try_into().ok()?)))
}

/// A generic-netlink socket, closed on drop.
struct Netlink(i32);

impl Netlink {
    fn open() -> Result<Netlink, String> {
        // SAFETY: plain socket(2) call; the descriptor is owned by Netlink.
        let fd = unsafe {
            libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_GENERIC)
        };
        if fd < 0 {
            return Err(format!("netlink socket: {}", std::io::Error::last_os_error()));
        }
        let socket = Netlink(fd);
        let timeout = libc::timeval { tv_sec: 2, tv_usec: 0 };
        // SAFETY: valid descriptor, pointer to a live timeval of the given size.
        unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVTIMEO,
                (&timeout as *const libc::timeval).cast(),
                std::mem::size_of::<libc::timeval>() as libc::socklen_t,
            );
        }
        Ok(socket)
    }

    fn send(&self, message: &[u8]) -> Result<(), String> {
        // SAFETY: zeroed sockaddr_nl addressed to the kernel (pid 0).
        let mut kernel: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
        kernel.nl_family = libc::AF_NETLINK as libc::sa_family_t;
        // SAFETY: buffer and address are valid for the lengths given.
        let sent = unsafe {
            libc::sendto(
                self.0,
                message.as_ptr().cast(),
                message.len(),
                0,
                (&kernel as *const libc::sockaddr_nl).cast(),
                std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
            )
        };
        if sent < 0 {
            return Err(format!("netlink send: {}", std::io::Error::last_os_error()));
        }
        Ok(())
    }

    fn receive(&self) -> Result<Vec<u8>, String> {
        let mut buffer = vec![0u8; 64 * 1024];
        // SAFETY: the buffer is valid for its length.
        let received = unsafe { libc::recv(self.0, buffer.as_mut_ptr().cast(), buffer.len(), 0) };
        if received < 0 {
            return Err(format!("netlink receive: {}", std::io::Error::last_os_error()));
        }
        buffer.truncate(received as usize);
        Ok(buffer)
    }
}

impl Drop for Netlink {
    fn drop(&mut self) {
        // SAFETY: the descriptor is ours and closed once.
        unsafe {
            libc::close(self.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(kind: u16, children: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        put(&mut out, kind | 0x8000, children);
        out
    }

    fn message(family: u16, attrs: &[u8]) -> Vec<u8> {
        request(family, NL80211_CMD_GET_WIPHY, 2, attrs)
    }

    fn done() -> Vec<u8> {
        let mut m = request(NLMSG_DONE, 0, 2, &[]);
        m.truncate(16);
        m[0..4].copy_from_slice(&16u32.to_ne_bytes());
        m
    }

    /// A Wi-Fi 6 radio (Intel AX201-like) split over two messages, as the
    /// kernel sends it with NL80211_ATTR_SPLIT_WIPHY_DUMP.
    fn ax201_dump(family: u16) -> Vec<u8> {
        let mut first = Vec::new();
        put(&mut first, NL80211_ATTR_WIPHY, &0u32.to_ne_bytes());
        put(&mut first, NL80211_ATTR_WIPHY_NAME, b"phy0\0");
        let ciphers: Vec<u8> = [0x000F_AC01u32, 0x000F_AC04, 0x000F_AC06, 0x000F_AC08]
            .iter()
            .flat_map(|c| c.to_ne_bytes())
            .collect();
        put(&mut first, NL80211_ATTR_CIPHER_SUITES, &ciphers);
        let mut band_2g = Vec::new();
        put(&mut band_2g, NL80211_BAND_ATTR_HT_CAPA, &0x1ffeu16.to_ne_bytes());
        first.extend(nested(NL80211_ATTR_WIPHY_BANDS, &nested(BAND_2GHZ, &band_2g)));

        let mut second = Vec::new();
        put(&mut second, NL80211_ATTR_WIPHY, &0u32.to_ne_bytes());
        let mut he_entry = Vec::new();
        put(&mut he_entry, 1, &[0; 4]);
        put(&mut he_entry, NL80211_BAND_IFTYPE_ATTR_HE_CAP_PHY, &[0; 11]);
        let mut band_5g = Vec::new();
        put(&mut band_5g, NL80211_BAND_ATTR_HT_CAPA, &0x1ffeu16.to_ne_bytes());
        put(&mut band_5g, NL80211_BAND_ATTR_VHT_CAPA, &0u32.to_ne_bytes());
        band_5g.extend(nested(NL80211_BAND_ATTR_IFTYPE_DATA, &nested(1, &he_entry)));
        second.extend(nested(NL80211_ATTR_WIPHY_BANDS, &nested(BAND_5GHZ, &band_5g)));

        let mut dump = message(family, &first);
        dump.extend(message(family, &second));
        dump.extend(done());
        dump
    }

    #[test]
    fn a_split_dump_of_a_wifi_6_radio() {
        let mut phys = BTreeMap::new();
        assert_eq!(parse_messages(&ax201_dump(0x1c), 0x1c, &mut phys), Ok(true));
        let phy = &phys[&0];
        assert_eq!(phy.name, "phy0");
        assert_eq!(
            capabilities(phy),
            WifiCapabilities {
                standards: vec!["802.11n".into(), "802.11ac".into(), "802.11ax".into()],
                bands: vec!["2.4GHz".into(), "5GHz".into()],
                wpa2_enterprise: true,
                wpa3_enterprise: true,
                ..WifiCapabilities::default()
            }
        );
    }

    #[test]
    fn an_old_2_4ghz_only_radio_without_management_frame_protection() {
        let mut attrs = Vec::new();
        put(&mut attrs, NL80211_ATTR_WIPHY, &1u32.to_ne_bytes());
        put(&mut attrs, NL80211_ATTR_WIPHY_NAME, b"phy1\0");
        put(&mut attrs, NL80211_ATTR_CIPHER_SUITES, &CIPHER_CCMP_128.to_ne_bytes());
        let mut band = Vec::new();
        put(&mut band, NL80211_BAND_ATTR_HT_CAPA, &0u16.to_ne_bytes());
        attrs.extend(nested(NL80211_ATTR_WIPHY_BANDS, &nested(BAND_2GHZ, &band)));
        let mut phys = BTreeMap::new();
        assert_eq!(parse_messages(&message(0x1c, &attrs), 0x1c, &mut phys), Ok(false), "no DONE yet");
        let caps = capabilities(&phys[&1]);
        assert_eq!((caps.standards, caps.bands), (vec!["802.11n".to_string()], vec!["2.4GHz".to_string()]));
        assert!(caps.wpa2_enterprise && !caps.wpa3_enterprise);
    }

    #[test]
    fn errors_and_garbage_never_panic() {
        let mut phys = BTreeMap::new();
        let mut error = done();
        error[4..6].copy_from_slice(&NLMSG_ERROR.to_ne_bytes());
        error.extend((-95i32).to_ne_bytes()); // EOPNOTSUPP, right after the header
        error[0..4].copy_from_slice(&20u32.to_ne_bytes());
        assert_eq!(parse_messages(&error, 0x1c, &mut phys), Err("nl80211 answered error 95".into()));
        assert!(parse_messages(&[0xff; 40], 0x1c, &mut phys).is_err());
        assert!(parse_messages(&ax201_dump(0x1c)[..30], 0x1c, &mut phys).is_err());
        let mut bad_attr = message(0x1c, &[]);
        bad_attr.extend([200, 0, 1, 0]);
        let _ = parse_messages(&bad_attr, 0x1c, &mut phys);
        assert!(attributes(&[2, 0, 1, 0, 9]).is_empty(), "an attribute shorter than its header is dropped");
    }

    #[test]
    fn the_live_kernel_answers_even_without_wifi() {
        // On a machine without Wi-Fi, nl80211 may be absent or list nothing;
        // either way the call must come back, not hang or fail.
        let phys = read_phys().expect("nl80211 query");
        assert!(phys.values().all(|caps| !caps.bands.is_empty() || caps.standards.is_empty()));
    }
}
