//! Network adapters: GetAdaptersAddresses, the Native Wifi API, and the
//! drivers' registry entries.

use super::*;

/// Adapters from GetAdaptersAddresses (name, MAC, kind, negotiated speed,
/// driver, addresses) and, for Wi-Fi, the Native Wifi API and the driver's
/// registry entry. Loopback and tunnel pseudo-interfaces are left out.
pub fn network_interfaces(_root: &Path) -> SectionResult<Vec<parc_model::NetworkInterface>> {
    let adapters = adapters()?;
    let radios = wlan::radios();
    Ok(adapters
        .into_iter()
        .filter(|a| a.if_type != 24 && a.if_type != 131)
        .map(|adapter| {
            let wifi = radios.get(&adapter.guid.to_ascii_lowercase()).cloned().map(|mut caps| {
                (caps.driver_version, caps.driver_date) = driver_of(&adapter.guid);
                caps
            });
            parc_model::NetworkInterface {
                name: sanitize(&adapter.name),
                mac_address: adapter.mac,
                addresses: adapter.addresses,
                kind: windows_data::interface_kind(adapter.if_type),
                link_speed_mbps: (adapter.up && adapter.speed_bps > 0 && adapter.speed_bps != u64::MAX)
                    .then(|| u32::try_from(adapter.speed_bps / 1_000_000).unwrap_or(u32::MAX)),
                duplex: parc_model::Duplex::Unknown,
                driver: sanitize(&adapter.description),
                wifi,
            }
        })
        .collect())
}

struct Adapter {
    guid: String,
    name: String,
    addresses: Vec<String>,
    mac: String,
    description: String,
    if_type: u32,
    speed_bps: u64,
    up: bool,
}

fn wide(pointer: *const u16) -> String {
    if pointer.is_null() {
        return String::new();
    }
    // SAFETY: a NUL-terminated UTF-16 string from the OS, read up to its NUL.
    unsafe {
        let mut length = 0;
        while *pointer.add(length) != 0 && length < 4096 {
            length += 1;
        }
        String::from_utf16_lossy(std::slice::from_raw_parts(pointer, length))
    }
}

/// `10.1.2.3` or `fe80::1` from a SOCKADDR (AF_INET = 2, AF_INET6 = 23).
fn socket_address(pointer: *const u8, length: i32) -> Option<std::net::IpAddr> {
    if pointer.is_null() || length < 8 {
        return None;
    }
    // SAFETY: the OS says `length` bytes are readable at `pointer`.
    let bytes = unsafe { std::slice::from_raw_parts(pointer, length as usize) };
    match u16::from_ne_bytes([bytes[0], bytes[1]]) {
        2 => Some(std::net::IpAddr::from(<[u8; 4]>::try_from(bytes.get(4..8)?).ok()?)),
        23 => Some(std::net::IpAddr::from(<[u8; 16]>::try_from(bytes.get(8..24)?).ok()?)),
        _ => None,
    }
}

fn adapters() -> SectionResult<Vec<Adapter>> {
    use windows_sys::Win32::NetworkManagement::IpHelper::{GetAdaptersAddresses, IP_ADAPTER_ADDRESSES_LH};
    let mut size: u32 = 32 * 1024;
    for _ in 0..3 {
        let mut buffer = vec![0u64; (size as usize).div_ceil(8)];
        let first = buffer.as_mut_ptr().cast::<IP_ADAPTER_ADDRESSES_LH>();
        // SAFETY: the buffer is 8-byte aligned and `size` bytes long.
        let status = unsafe { GetAdaptersAddresses(0, 0, std::ptr::null(), first, &mut size) };
        if status == 111 {
            continue; // ERROR_BUFFER_OVERFLOW: `size` now says how much
        }
        if status != 0 {
            return Err(format!("GetAdaptersAddresses failed with status {status}"));
        }
        let mut found = Vec::new();
        let mut current = first as *const IP_ADAPTER_ADDRESSES_LH;
        while !current.is_null() && found.len() < parc_proto::limits::MAX_NETWORK_INTERFACES {
            // SAFETY: a node of the list the OS wrote into our buffer.
            let adapter = unsafe { &*current };
            let mac_length = (adapter.PhysicalAddressLength as usize).min(8);
            let guid = if adapter.AdapterName.is_null() {
                String::new()
            } else {
                // SAFETY: AdapterName is a NUL-terminated ANSI string.
                unsafe { std::ffi::CStr::from_ptr(adapter.AdapterName.cast()) }.to_string_lossy().into_owned()
            };
            let mut addresses = Vec::new();
            let mut unicast = adapter.FirstUnicastAddress
                as *const windows_sys::Win32::NetworkManagement::IpHelper::IP_ADAPTER_UNICAST_ADDRESS_LH;
            while !unicast.is_null() && addresses.len() < parc_proto::limits::MAX_ADDRESSES_PER_INTERFACE {
                // SAFETY: a node of the address list inside our buffer.
                let entry = unsafe { &*unicast };
                if let Some(ip) =
                    socket_address(entry.Address.lpSockaddr.cast(), entry.Address.iSockaddrLength)
                {
                    if !ip.is_loopback() {
                        addresses.push(format!("{ip}/{}", entry.OnLinkPrefixLength));
                    }
                }
                unicast = entry.Next;
            }
            found.push(Adapter {
                guid,
                name: wide(adapter.FriendlyName),
                addresses,
                mac: if mac_length == 6 {
                    adapter.PhysicalAddress[..6]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<Vec<_>>()
                        .join(":")
                } else {
                    String::new()
                },
                description: wide(adapter.Description),
                if_type: adapter.IfType,
                speed_bps: adapter.TransmitLinkSpeed,
                up: adapter.OperStatus == 1,
            });
            current = adapter.Next;
        }
        return Ok(found);
    }
    Err("GetAdaptersAddresses kept asking for a larger buffer".into())
}

/// DriverVersion and DriverDate of a network adapter, from its entry in the
/// network class key whose NetCfgInstanceId is the adapter's GUID.
fn driver_of(guid: &str) -> (String, String) {
    const NET_CLASS: &str = r"SYSTEM\CurrentControlSet\Control\Class\{4d36e972-e325-11ce-bfc1-08002be10318}";
    let Ok(class) = hklm_key(NET_CLASS, KEY_WOW64_64KEY) else { return Default::default() };
    for name in class.enum_keys().filter_map(Result::ok) {
        let Ok(entry) = class.open_subkey_with_flags(&name, KEY_READ) else { continue };
        let instance: String = entry.get_value("NetCfgInstanceId").unwrap_or_default();
        if instance.eq_ignore_ascii_case(guid) {
            let version: String = entry.get_value("DriverVersion").unwrap_or_default();
            let date: String = entry.get_value("DriverDate").unwrap_or_default();
            return (sanitize(&version), windows_data::date_from_driver_date(&date).unwrap_or_default());
        }
    }
    Default::default()
}

/// The Native Wifi API: what each wireless radio can do.
mod wlan {
    use crate::collect::windows_data::wifi_from_windows;
    use parc_model::WifiCapabilities;
    use std::collections::HashMap;
    use windows_sys::Win32::Foundation::HANDLE;
    use windows_sys::Win32::NetworkManagement::WiFi::{
        wlan_intf_opcode_supported_infrastructure_auth_cipher_pairs, WlanCloseHandle, WlanEnumInterfaces,
        WlanFreeMemory, WlanGetInterfaceCapability, WlanOpenHandle, WlanQueryInterface,
        DOT11_AUTH_CIPHER_PAIR, DOT11_AUTH_CIPHER_PAIR_LIST, WLAN_INTERFACE_CAPABILITY, WLAN_INTERFACE_INFO,
        WLAN_INTERFACE_INFO_LIST,
    };

    /// Radios by adapter GUID ("{…}", lower case); empty when the WLAN
    /// service is not running (desktops without Wi-Fi, Wine).
    pub fn radios() -> HashMap<String, WifiCapabilities> {
        let mut found = HashMap::new();
        let mut version = 0u32;
        let mut handle: HANDLE = std::ptr::null_mut();
        // SAFETY: out-pointers to locals; the handle is closed below.
        if unsafe { WlanOpenHandle(2, std::ptr::null(), &mut version, &mut handle) } != 0 {
            return found;
        }
        let mut list: *mut WLAN_INTERFACE_INFO_LIST = std::ptr::null_mut();
        // SAFETY: valid handle; the list is freed with WlanFreeMemory.
        if unsafe { WlanEnumInterfaces(handle, std::ptr::null(), &mut list) } == 0 && !list.is_null() {
            // SAFETY: the OS wrote dwNumberOfItems entries from InterfaceInfo on.
            let interfaces: &[WLAN_INTERFACE_INFO] = unsafe {
                std::slice::from_raw_parts(
                    (*list).InterfaceInfo.as_ptr(),
                    ((*list).dwNumberOfItems as usize).min(64),
                )
            };
            for interface in interfaces {
                let guid = &interface.InterfaceGuid;
                let key = format!(
                    "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}}}",
                    guid.data1,
                    guid.data2,
                    guid.data3,
                    guid.data4[0],
                    guid.data4[1],
                    guid.data4[2],
                    guid.data4[3],
                    guid.data4[4],
                    guid.data4[5],
                    guid.data4[6],
                    guid.data4[7]
                );
                found.insert(key, query(handle, guid));
            }
            // SAFETY: allocated by WlanEnumInterfaces.
            unsafe { WlanFreeMemory(list.cast()) };
        }
        // SAFETY: opened above.
        unsafe { WlanCloseHandle(handle, std::ptr::null()) };
        found
    }

    fn query(handle: HANDLE, guid: &windows_sys::core::GUID) -> WifiCapabilities {
        let mut phys = Vec::new();
        let mut capability: *mut WLAN_INTERFACE_CAPABILITY = std::ptr::null_mut();
        // SAFETY: valid handle and GUID; freed with WlanFreeMemory.
        if unsafe { WlanGetInterfaceCapability(handle, guid, std::ptr::null(), &mut capability) } == 0
            && !capability.is_null()
        {
            // SAFETY: the structure the OS returned.
            let capability = unsafe { &*capability };
            let count = (capability.dwNumberOfSupportedPhys as usize).min(capability.dot11PhyTypes.len());
            phys.extend_from_slice(&capability.dot11PhyTypes[..count]);
            // SAFETY: allocated by WlanGetInterfaceCapability.
            unsafe { WlanFreeMemory((capability as *const WLAN_INTERFACE_CAPABILITY).cast()) };
        }
        let mut algorithms = Vec::new();
        let mut size = 0u32;
        let mut data: *mut core::ffi::c_void = std::ptr::null_mut();
        // SAFETY: as above; the opcode returns a DOT11_AUTH_CIPHER_PAIR_LIST.
        let status = unsafe {
            WlanQueryInterface(
                handle,
                guid,
                wlan_intf_opcode_supported_infrastructure_auth_cipher_pairs,
                std::ptr::null(),
                &mut size,
                &mut data,
                std::ptr::null_mut(),
            )
        };
        if status == 0 && !data.is_null() {
            let list = data.cast::<DOT11_AUTH_CIPHER_PAIR_LIST>();
            // SAFETY: uNumOfEntries pairs follow, within the `size` bytes returned.
            unsafe {
                let header = std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR_LIST>()
                    - std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR>();
                let fits =
                    (size as usize).saturating_sub(header) / std::mem::size_of::<DOT11_AUTH_CIPHER_PAIR>();
                let count = ((*list).uNumOfEntries as usize).min(fits).min(256);
                let pairs = std::slice::from_raw_parts((*list).AuthCipherPairs.as_ptr(), count);
                algorithms.extend(pairs.iter().map(|p| p.AuthAlgoId));
                WlanFreeMemory(data);
            }
        }
        wifi_from_windows(&phys, &algorithms)
    }
}
