//! `/devices/{id or hostname}`: one PC: its inventory by section, its
//! readiness per dimension with the reasons, its site and asset row, its
//! place in the published plan, and what changed on it (newest first).

use super::layout::{ago, capped, count, encode, maker_model, page, state_badge, when, Page};
use super::{blocking, AppError, Context};
use crate::grpc::AppState;
use crate::readiness;
use crate::storage::RolloutState;
use axum::extract::{Path, State};
use maud::{html, Markup};
use parc_model::history::HistoryEntry;
use parc_model::{human_bytes, Device, DeviceSummary, Inventory, Section};
use parc_planner::rollout::Status;
use parc_readiness::site::Site;
use parc_readiness::view::DeviceReadinessView;
use parc_readiness::ReasonKind;
use std::sync::Arc;

/// The most history entries a device page lists.
pub const HISTORY: u32 = 200;
/// The most packages a device page lists.
const SOFTWARE: usize = 3000;

/// The device's place in the published plan.
pub struct InPlan {
    pub plan: u64,
    pub wave: u32,
    pub reason: String,
    pub status: Status,
    pub state: Option<RolloutState>,
}

pub struct DevicePage {
    pub device: Device,
    pub readiness: DeviceReadinessView,
    pub site: Option<Site>,
    pub history: Vec<HistoryEntry>,
    pub plan: Option<InPlan>,
    pub now: i64,
}

/// What a device path finds: one device, or a hostname several share.
pub enum Found {
    One(Box<DevicePage>),
    Several { hostname: String, devices: Vec<DeviceSummary> },
}

pub fn load(context: &Context<'_>, wanted: &str) -> Result<Found, AppError> {
    let storage = context.storage;
    let missing = || AppError::NotFound(format!("There is no device with the id or hostname '{wanted}'."));
    let id = match wanted.parse::<u64>() {
        Ok(id) => id,
        Err(_) => match storage.find_by_hostname(wanted)?.as_slice() {
            [] => return Err(missing()),
            [id] => *id,
            ids => {
                let mut devices = Vec::new();
                for id in ids {
                    devices.extend(storage.get_device(*id)?.map(|d| d.summary));
                }
                return Ok(Found::Several { hostname: wanted.to_string(), devices });
            }
        },
    };
    let Some(device) = storage.get_device(id)? else { return Err(missing()) };
    let Some(view) = readiness::device(storage, context.policy, context.now, id)? else {
        return Err(missing());
    };
    let site = match &view.site_code {
        Some(code) => storage.site(code)?,
        None => None,
    };
    let history = storage.history(id, HISTORY)?;
    let mut plan = None;
    if let Some(published) = storage.published_plan()? {
        if let Some(placed) = storage.plan_devices(published.id)?.into_iter().find(|d| d.device_id == id) {
            let state = storage.rollout_statuses()?.remove(&id);
            plan = Some(InPlan {
                plan: published.id,
                wave: placed.wave,
                reason: placed.reason,
                status: state.as_ref().map_or(Status::Planned, |s| s.status),
                state,
            });
        }
    }
    Ok(Found::One(Box::new(DevicePage { device, readiness: view, site, history, plan, now: context.now })))
}

pub async fn show(State(state): State<Arc<AppState>>, Path(wanted): Path<String>) -> Result<Page, AppError> {
    let wanted = wanted.trim().to_string();
    let found = blocking(&state, move |context| load(context, &wanted)).await?;
    Ok(Page(match found {
        Found::One(data) => render(&data),
        Found::Several { hostname, devices } => render_several(&hostname, &devices),
    }))
}

fn render_several(hostname: &str, devices: &[DeviceSummary]) -> Markup {
    let body = html! {
        div.notice { p { "Several devices have the hostname " strong { (hostname) } ". Open one by its id:" } }
        table {
            thead { tr { th { "Id" } th { "Hostname" } th { "Serial number" } th { "Model" } } }
            tbody {
                @for d in devices {
                    tr {
                        td { a href=(format!("/devices/{}", d.id)) { (d.id) } }
                        td { (d.hostname) } td { (d.serial_number) } td { (maker_model(&d.manufacturer, &d.model)) }
                    }
                }
            }
        }
    };
    page(&format!("Devices named {hostname}"), "", body)
}

/// Lower-case words of an enum's name: `SecureBoot::On` → "on".
fn word(value: impl std::fmt::Debug) -> String {
    format!("{value:?}").to_lowercase()
}

fn mark(kind: ReasonKind) -> Markup {
    match kind {
        ReasonKind::Blocks => html! { span.mark.blocks title="blocks" { "✗" } },
        ReasonKind::Missing => html! { span.mark.missing title="a fact is missing" { "?" } },
        ReasonKind::Advice => html! { span.mark.advice title="advice" { "·" } },
    }
}

pub fn render(data: &DevicePage) -> Markup {
    let summary = &data.device.summary;
    let view = &data.readiness;
    let body = html! {
        table.facts id="device-facts" {
            tbody {
                tr { th { "Id" } td { (summary.id) } }
                tr { th { "Hostname" } td id="hostname" { (summary.hostname) } }
                tr { th { "Last report" } td {
                    @match summary.last_seen_at {
                        Some(at) => { (when(at)) " (" (ago(Some(at), data.now)) ")" }
                        None => { "never: enrolled " (when(summary.enrolled_at)) ", no report yet" }
                    }
                } }
                @if summary.revoked { tr { th { "Status" } td { span.badge.not-ready { "revoked" } " its node key no longer works" } } }
                tr { th { "Site" } td {
                    @match (&data.site, &view.site_code) {
                        (Some(site), _) => {
                            a href=(format!("/sites/{}", encode(&site.code))) { (site.code) } " · " (site.name)
                            span.muted { " (" @if view.site_source.name() == "manual" { "assigned by hand" } @else { "by subnet" } ")" }
                        }
                        (None, Some(code)) => { (code) }
                        (None, None) => { span.muted { "on no site: no subnet matches and none is assigned" } }
                    }
                } }
                @if let Some(asset) = &view.asset {
                    tr { th { "Asset tag" } td { (asset.asset_tag) } }
                    tr { th { "Assigned user" } td { (asset.assigned_user) } }
                    tr { th { "Department" } td { (asset.department) } }
                    @if let Some(day) = asset.purchase_day { tr { th { "Purchased" } td { (parc_model::civil::iso(day)) } } }
                    @if let Some(day) = asset.warranty_end_day { tr { th { "Warranty ends" } td { (parc_model::civil::iso(day)) } } }
                    @if let Some(t) = asset.teleworker { tr { th { "Teleworker" } td { @if t { "yes" } @else { "no" } } } }
                } @else {
                    tr { th { "Asset register" } td { span.muted { "no row for this serial number" } } }
                }
                @if let Some(plan) = &data.plan {
                    tr { th { "Rollout" } td {
                        a href=(format!("/waves/{}", plan.wave)) { "wave " (plan.wave) } " of plan " (plan.plan) ", "
                        span.badge.info { (plan.status.name()) }
                        @if let Some(state) = &plan.state { @if !state.reason.is_empty() { " " (state.reason) } }
                        br; span.muted { (plan.reason) }
                    } }
                }
            }
        }
        h2 { "Readiness" }
        p {
            "Replacement group " strong { (view.readiness.replacement_group.name()) }
            ", priority " strong { (view.readiness.replacement_score) "/100" }
            @if let Some(age) = &view.readiness.age {
                ". In service since " (parc_model::civil::iso(age.since_day)) " (" (age.confidence) " confidence): " (age.evidence)
            }
        }
        table id="device-readiness" {
            thead { tr { th { "Dimension" } th { "State" } th { "Reasons" } } }
            tbody {
                @for outcome in &view.readiness.outcomes {
                    tr {
                        td { (outcome.dimension.name()) }
                        td { (state_badge(outcome.state)) }
                        td {
                            @if outcome.reasons.is_empty() { span.muted { "nothing stands in the way" } }
                            ul.reasons { @for reason in &outcome.reasons { li { (mark(reason.kind)) (reason.text) } } }
                        }
                    }
                }
            }
        }
        ul.legend.note {
            li { (mark(ReasonKind::Blocks)) "blocks: the device is not ready" }
            li { (mark(ReasonKind::Missing)) "a fact is missing: the state is unknown" }
            li { (mark(ReasonKind::Advice)) "advice" }
        }
        h2 { "Inventory" }
        @match &data.device.inventory {
            None => { p { "No inventory yet: the device enrolled but has not reported." } }
            Some(inventory) => { (inventory_sections(inventory)) }
        }
        h2 { "History" }
        @if data.history.is_empty() {
            p.muted { "No change recorded since the first report." }
        } @else {
            @if data.history.len() as u32 >= HISTORY { p.note { "The last " (HISTORY) " changes, newest first." } }
            @else { p.note { "Newest first." } }
            table id="history" {
                thead { tr { th { "When" } th { "Section" } th { "Change" } th { "Before" } th { "After" } } }
                tbody {
                    @for entry in &data.history {
                        tr {
                            td.nowrap { (when(entry.at)) }
                            td { (entry.change.section.name()) }
                            td { (entry.change.verb()) " " strong { (entry.change.subject) } }
                            td { (entry.change.before) }
                            td { (entry.change.after) }
                        }
                    }
                }
            }
        }
    };
    page(&format!("Device {}", summary.hostname), "", body)
}

fn unknown(inventory: &Inventory, section: Section) -> Markup {
    let reason = inventory.unknown_sections.iter().find(|u| u.section == section).map(|u| u.reason.as_str());
    html! { p.muted { "Unknown" @if let Some(reason) = reason { ": " (reason) } } }
}

fn inventory_sections(inv: &Inventory) -> Markup {
    html! {
        div.columns {
            div {
                h3 { "System" }
                @match &inv.system {
                    Some(s) => { table.facts { tbody {
                        tr { th { "Manufacturer" } td { (s.manufacturer) } }
                        tr { th { "Model" } td { (s.model) } }
                        tr { th { "Type" } td { (s.chassis.label()) } }
                        tr { th { "Serial number" } td { (s.serial_number) } }
                        @if !inv.labels.is_empty() { tr { th { "Labels" } td { (inv.labels.join(", ")) } } }
                        @if !s.smbios_uuid.is_empty() { tr { th { "SMBIOS UUID" } td { (s.smbios_uuid) } } }
                        tr { th { "BIOS" } td { (s.bios_vendor) " " (s.bios_version) " (" (s.bios_release_date) ")" } }
                    } } }
                    None => { (unknown(inv, Section::System)) }
                }
                h3 { "Operating system" }
                @match &inv.os {
                    Some(os) => { table.facts { tbody {
                        tr { th { "Name" } td { (os.name) " " (os.version) } }
                        @if !os.edition.is_empty() { tr { th { "Edition" } td { (os.edition) } } }
                        @if !os.build.is_empty() { tr { th { "Build" } td { (os.build) } } }
                        tr { th { "Kernel" } td { (os.kernel) } }
                        tr { th { "Architecture" } td { (os.architecture) } }
                        tr { th { "Last boot" } td { (when(os.last_boot)) } }
                        @if os.install_date > 0 { tr { th { "Installed" } td { (when(os.install_date)) } } }
                        @if os.last_security_update > 0 { tr { th { "Last security update" } td { (when(os.last_security_update)) } } }
                    } } }
                    None => { (unknown(inv, Section::Os)) }
                }
                h3 { "CPU" }
                @match &inv.cpu {
                    Some(cpu) => { table.facts { tbody {
                        tr { th { "Model" } td { (cpu.model) } }
                        tr { th { "Cores" } td { (cpu.physical_cores) " physical, " (cpu.logical_threads) " logical, " (cpu.frequency_mhz) " MHz" } }
                        tr { th { "Signature" } td { "family " (cpu.family) " model " (cpu.model_number) " stepping " (cpu.stepping) } }
                        tr { th { "Flags" } td { @if cpu.flags.is_empty() { "none reported" } @else { (cpu.flags.join(" ")) } } }
                    } } }
                    None => { (unknown(inv, Section::Cpu)) }
                }
                h3 { "Memory" }
                @match &inv.memory {
                    Some(memory) => { table.facts { tbody {
                        tr { th { "Total" } td { (human_bytes(memory.total_bytes)) } }
                        @for m in &memory.modules {
                            tr { th { (m.slot) } td { (human_bytes(m.size_bytes)) " " (m.kind) " " (m.speed_mts) " MT/s" } }
                        }
                    } } }
                    None => { (unknown(inv, Section::Memory)) }
                }
                h3 { "Security" }
                @match &inv.security {
                    Some(s) => { table.facts { tbody {
                        tr { th { "TPM" } td { @if s.tpm_present { "TPM " (s.tpm_version) } @else { "none" } } }
                        tr { th { "Firmware" } td { (word(s.firmware)) } }
                        tr { th { "Secure Boot" } td { (word(s.secure_boot)) } }
                        tr { th { "System disk encryption" } td { (word(s.system_disk_encryption)) } }
                    } } }
                    None => { (unknown(inv, Section::Security)) }
                }
            }
            div {
                h3 { "Disks" }
                @match &inv.disks {
                    Some(disks) => { table { tbody {
                        @for d in disks {
                            tr { td { (d.name) } td { (d.kind.label()) " " (human_bytes(d.size_bytes)) } td { (d.model) @if d.holds_os { " " span.badge.info { "system" } } } }
                        }
                    } } }
                    None => { (unknown(inv, Section::Disks)) }
                }
                h3 { "Volumes" }
                @match &inv.volumes {
                    Some(volumes) => { table { tbody {
                        @for v in volumes {
                            tr { td { code { (v.mount_point) } } td { (v.file_system) " " (v.kind.label()) } td.num { (human_bytes(v.total_bytes)) ", " (human_bytes(v.available_bytes)) " free" } }
                        }
                    } } }
                    None => { (unknown(inv, Section::Volumes)) }
                }
                h3 { "Network" }
                @match &inv.network_interfaces {
                    Some(interfaces) => { table { tbody {
                        @for n in interfaces {
                            tr {
                                td { strong { (n.name) } br; span.muted { (word(n.kind)) } }
                                td {
                                    (n.addresses.join(", "))
                                    @if !n.mac_address.is_empty() { br; span.muted { (n.mac_address) } }
                                    @if let Some(wifi) = &n.wifi {
                                        br;
                                        "Wi-Fi " (wifi.standards.join(" ")) "; " (wifi.bands.join(" ")) "; "
                                        @if wifi.wpa3_enterprise { "WPA3-Enterprise" } @else if wifi.wpa2_enterprise { "WPA2-Enterprise" } @else { "no enterprise authentication" }
                                        @if !wifi.driver_version.is_empty() { "; driver " (wifi.driver_version) " (" (wifi.driver_date) ")" }
                                    }
                                }
                                td.num { @if let Some(speed) = n.link_speed_mbps { (speed) " Mb/s" } }
                            }
                        }
                    } } }
                    None => { (unknown(inv, Section::NetworkInterfaces)) }
                }
                h3 { "Audio and cameras" }
                @match &inv.peripherals {
                    Some(p) => {
                        @if p.audio.is_empty() && p.cameras.is_empty() { p.muted { "none" } }
                        ul {
                            @for a in &p.audio { li { (a.name) " " span.muted { "(" (word(a.bus)) @if a.headset { ", headset" } ")" } } }
                            @for c in &p.cameras { li { (c.name) " " span.muted { "(camera)" } } }
                        }
                    }
                    None => { (unknown(inv, Section::Peripherals)) }
                }
                h3 { "Battery" }
                @match &inv.batteries {
                    Some(batteries) if batteries.is_empty() => { p.muted { "none (a desktop)" } }
                    Some(batteries) => { ul { @for b in batteries {
                        li { (b.name) ": " @match b.health_percent() { Some(h) => { (h) "% health" } None => { "health unknown" } }
                            " " span.muted { "(" (b.full_charge_capacity_mwh) " of " (b.design_capacity_mwh) " mWh)" } }
                    } } }
                    None => { (unknown(inv, Section::Batteries)) }
                }
                h3 { "Users" }
                @match &inv.users {
                    Some(u) => { table.facts { tbody {
                        tr { th { "Logged in" } td { (u.logged_in.join(", ")) } }
                        tr { th { "Last to log in" } td { (u.last_logged_in) } }
                    } } }
                    None => { (unknown(inv, Section::Users)) }
                }
            }
        }
        h3 { "Software" }
        @match &inv.software {
            Some(packages) => {
                details id="software" {
                    summary { (count(packages.len() as u64)) " packages" }
                    (capped(packages.len().min(SOFTWARE), packages.len(), "packages"))
                    table {
                        thead { tr { th { "Name" } th { "Version" } th { "Publisher" } th { "Installed" } } }
                        tbody {
                            @for p in packages.iter().take(SOFTWARE) {
                                tr { td { (p.name) } td { (p.version) } td { (p.publisher) } td.nowrap { (p.install_date) } }
                            }
                        }
                    }
                }
            }
            None => { (unknown(inv, Section::Software)) }
        }
        p.note { "Agent " (inv.agent_version) ", inventory collected " (when(inv.collected_at)) "." }
    }
}
