//! Sites, site changes, asset matches and readiness results, domain ↔ wire.
//! Enumerations travel as their names; an unknown name from the wire is a
//! `WireError` naming the field.

use super::WireError;
use crate::pb;
use parc_readiness::age::{AgeEstimate, AgeSource, Confidence};
use parc_readiness::asset::{Asset, AssetMatch};
use parc_readiness::rules::{
    DeviceReadiness, Dimension, Outcome, Reason, ReasonKind, ReplacementGroup, State,
};
use parc_readiness::site::{Rollout, Site, SiteChange, SiteImport, SiteKind, Subnet, WanLink};
use parc_readiness::summary::{Counts, DimensionSummary, GroupCounts, GroupSummary, ReasonCount};
use parc_readiness::view::{DeviceReadinessView, SiteSource};

pub fn site_to_wire(site: &Site, devices: u64) -> pb::Site {
    pb::Site {
        code: site.code.clone(),
        name: site.name.clone(),
        kind: site.kind.name().into(),
        address: site.address.clone(),
        wan_link: site.wan_link.name().into(),
        down_mbps: site.down_mbps,
        up_mbps: site.up_mbps,
        fibre: site.fibre.to_string(),
        wifi: site.wifi.to_string(),
        subnets: site.subnets.iter().map(Subnet::to_string).collect(),
        technician_group: site.technician_group.clone(),
        devices,
    }
}

/// A site and its device count.
pub fn site_from_wire(site: pb::Site) -> Result<(Site, u64), WireError> {
    let kind = SiteKind::parse(&site.kind)
        .ok_or_else(|| WireError::new("site.kind", format!("unknown kind {:?}", site.kind)))?;
    let wan_link = WanLink::parse(&site.wan_link)
        .ok_or_else(|| WireError::new("site.wan_link", format!("unknown link {:?}", site.wan_link)))?;
    let subnets = site
        .subnets
        .iter()
        .enumerate()
        .map(|(i, s)| Subnet::parse(s).map_err(|e| WireError::new(format!("site.subnets[{i}]"), e)))
        .collect::<Result<_, _>>()?;
    Ok((
        Site {
            code: site.code,
            name: site.name,
            kind,
            address: site.address,
            wan_link,
            down_mbps: site.down_mbps,
            up_mbps: site.up_mbps,
            fibre: rollout_from_wire("site.fibre", &site.fibre)?,
            wifi: rollout_from_wire("site.wifi", &site.wifi)?,
            subnets,
            technician_group: site.technician_group,
        },
        site.devices,
    ))
}

pub fn rollout_from_wire(field: &str, text: &str) -> Result<Rollout, WireError> {
    Rollout::parse(text).map_err(|e| WireError::new(field, e))
}

pub fn site_change_to_wire(change: &SiteChange) -> pb::SiteChange {
    pb::SiteChange {
        site_code: change.site_code.clone(),
        at: change.at,
        field: change.field.clone(),
        before: change.before.clone(),
        after: change.after.clone(),
        source: change.source.clone(),
    }
}

pub fn site_change_from_wire(change: pb::SiteChange) -> SiteChange {
    SiteChange {
        site_code: change.site_code,
        at: change.at,
        field: change.field,
        before: change.before,
        after: change.after,
        source: change.source,
    }
}

pub fn site_import_to_wire(import: &SiteImport, dry_run: bool) -> pb::ImportSitesResponse {
    pb::ImportSitesResponse {
        created: import.created,
        updated: import.updated,
        unchanged: import.unchanged,
        changes: import.changes.iter().map(site_change_to_wire).collect(),
        dry_run,
    }
}

pub fn asset_match_to_wire(stored: u64, found: &AssetMatch, dry_run: bool) -> pb::ImportAssetsResponse {
    pb::ImportAssetsResponse {
        stored,
        matched: found.matched,
        unknown_serials: found.unknown_serials.clone(),
        conflicts: found
            .conflicts
            .iter()
            .map(|(serial, ids)| pb::AssetConflict { serial_number: serial.clone(), device_ids: ids.clone() })
            .collect(),
        dry_run,
    }
}

fn counts_to_wire(counts: &Counts) -> pb::ReadinessCounts {
    pb::ReadinessCounts { ready: counts.ready, not_ready: counts.not_ready, unknown: counts.unknown }
}

fn counts_from_wire(counts: Option<pb::ReadinessCounts>) -> Counts {
    let counts = counts.unwrap_or_default();
    Counts { ready: counts.ready, not_ready: counts.not_ready, unknown: counts.unknown }
}

fn dimension_from_wire(field: &str, name: &str) -> Result<Dimension, WireError> {
    Dimension::from_name(name).ok_or_else(|| WireError::new(field, format!("unknown dimension {name:?}")))
}

pub fn readiness_groups_to_wire(groups: &[GroupSummary]) -> pb::GetReadinessResponse {
    pb::GetReadinessResponse {
        groups: groups
            .iter()
            .map(|group| pb::ReadinessGroup {
                key: group.key.clone(),
                devices: group.devices,
                dimensions: group
                    .dimensions
                    .iter()
                    .map(|d| pb::DimensionSummary {
                        dimension: d.dimension.name().into(),
                        counts: Some(counts_to_wire(&d.counts)),
                        top_reasons: d
                            .top_reasons
                            .iter()
                            .map(|r| pb::ReasonCount {
                                code: r.code.to_string(),
                                label: r.label.to_string(),
                                devices: r.devices,
                            })
                            .collect(),
                    })
                    .collect(),
                replacement: Some(pb::ReplacementGroups {
                    ready: group.replacement_groups.ready,
                    fixable: group.replacement_groups.fixable,
                    replace: group.replacement_groups.replace,
                    unknown: group.replacement_groups.unknown,
                }),
            })
            .collect(),
    }
}

pub fn readiness_groups_from_wire(
    response: pb::GetReadinessResponse,
) -> Result<Vec<GroupSummary>, WireError> {
    response
        .groups
        .into_iter()
        .enumerate()
        .map(|(g, group)| {
            let replacement = group.replacement.unwrap_or_default();
            Ok(GroupSummary {
                key: group.key,
                devices: group.devices,
                replacement_groups: GroupCounts {
                    ready: replacement.ready,
                    fixable: replacement.fixable,
                    replace: replacement.replace,
                    unknown: replacement.unknown,
                },
                dimensions: group
                    .dimensions
                    .into_iter()
                    .enumerate()
                    .map(|(d, dimension)| {
                        Ok(DimensionSummary {
                            dimension: dimension_from_wire(
                                &format!("groups[{g}].dimensions[{d}].dimension"),
                                &dimension.dimension,
                            )?,
                            counts: counts_from_wire(dimension.counts),
                            top_reasons: dimension
                                .top_reasons
                                .into_iter()
                                .map(|r| ReasonCount {
                                    code: r.code.into(),
                                    label: r.label.into(),
                                    devices: r.devices,
                                })
                                .collect(),
                        })
                    })
                    .collect::<Result<_, WireError>>()?,
            })
        })
        .collect()
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Ready => "ready",
        State::NotReady => "not_ready",
        State::Unknown => "unknown",
    }
}

fn kind_name(kind: ReasonKind) -> &'static str {
    match kind {
        ReasonKind::Blocks => "blocks",
        ReasonKind::Missing => "missing",
        ReasonKind::Advice => "advice",
    }
}

fn source_name(source: AgeSource) -> &'static str {
    match source {
        AgeSource::PurchaseDate => "purchase_date",
        AgeSource::CpuAndBios => "cpu_and_bios",
        AgeSource::Cpu => "cpu",
        AgeSource::Bios => "bios",
    }
}

fn confidence_name(confidence: Confidence) -> &'static str {
    match confidence {
        Confidence::High => "high",
        Confidence::Medium => "medium",
        Confidence::Low => "low",
    }
}

pub fn device_readiness_to_wire(view: &DeviceReadinessView) -> pb::GetDeviceReadinessResponse {
    let readiness = &view.readiness;
    pb::GetDeviceReadinessResponse {
        device_id: view.device_id,
        outcomes: readiness
            .outcomes
            .iter()
            .map(|o| pb::DimensionOutcome {
                dimension: o.dimension.name().into(),
                state: state_name(o.state).into(),
                reasons: o
                    .reasons
                    .iter()
                    .map(|r| pb::Reason {
                        code: r.code.to_string(),
                        kind: kind_name(r.kind).into(),
                        label: r.label.to_string(),
                        text: r.text.clone(),
                    })
                    .collect(),
            })
            .collect(),
        replacement_score: readiness.replacement_score,
        replacement_group: readiness.replacement_group.name().into(),
        age: readiness.age.as_ref().map(|age| pb::AgeEstimate {
            since_day: age.since_day,
            source: source_name(age.source).into(),
            confidence: confidence_name(age.confidence).into(),
            evidence: age.evidence.clone(),
        }),
        site_code: view.site_code.clone().unwrap_or_default(),
        site_source: view.site_source.name().into(),
        asset_tag: view.asset.as_ref().map(|a| a.asset_tag.clone()).unwrap_or_default(),
        department: view.asset.as_ref().map(|a| a.department.clone()).unwrap_or_default(),
        assigned_user: view.asset.as_ref().map(|a| a.assigned_user.clone()).unwrap_or_default(),
    }
}

pub fn device_readiness_from_wire(
    wire: pb::GetDeviceReadinessResponse,
) -> Result<DeviceReadinessView, WireError> {
    let outcomes = wire
        .outcomes
        .into_iter()
        .enumerate()
        .map(|(i, o)| {
            let state = match o.state.as_str() {
                "ready" => State::Ready,
                "not_ready" => State::NotReady,
                "unknown" => State::Unknown,
                other => {
                    return Err(WireError::new(
                        format!("outcomes[{i}].state"),
                        format!("unknown state {other:?}"),
                    ))
                }
            };
            let reasons = o
                .reasons
                .into_iter()
                .enumerate()
                .map(|(j, r)| {
                    let kind = match r.kind.as_str() {
                        "blocks" => ReasonKind::Blocks,
                        "missing" => ReasonKind::Missing,
                        "advice" => ReasonKind::Advice,
                        other => {
                            return Err(WireError::new(
                                format!("outcomes[{i}].reasons[{j}].kind"),
                                format!("unknown kind {other:?}"),
                            ))
                        }
                    };
                    Ok(Reason { code: r.code.into(), kind, label: r.label.into(), text: r.text })
                })
                .collect::<Result<_, _>>()?;
            Ok(Outcome {
                dimension: dimension_from_wire(&format!("outcomes[{i}].dimension"), &o.dimension)?,
                state,
                reasons,
            })
        })
        .collect::<Result<_, _>>()?;
    let replacement_group = match wire.replacement_group.as_str() {
        "ready" => ReplacementGroup::Ready,
        "fixable" => ReplacementGroup::Fixable,
        "replace" => ReplacementGroup::Replace,
        _ => ReplacementGroup::Unknown,
    };
    let age = match wire.age {
        None => None,
        Some(age) => Some(AgeEstimate {
            since_day: age.since_day,
            source: match age.source.as_str() {
                "purchase_date" => AgeSource::PurchaseDate,
                "cpu_and_bios" => AgeSource::CpuAndBios,
                "cpu" => AgeSource::Cpu,
                "bios" => AgeSource::Bios,
                other => return Err(WireError::new("age.source", format!("unknown source {other:?}"))),
            },
            confidence: match age.confidence.as_str() {
                "high" => Confidence::High,
                "medium" => Confidence::Medium,
                "low" => Confidence::Low,
                other => {
                    return Err(WireError::new("age.confidence", format!("unknown confidence {other:?}")))
                }
            },
            evidence: age.evidence,
        }),
    };
    let has_asset =
        !wire.asset_tag.is_empty() || !wire.department.is_empty() || !wire.assigned_user.is_empty();
    Ok(DeviceReadinessView {
        device_id: wire.device_id,
        readiness: DeviceReadiness {
            outcomes,
            replacement_score: wire.replacement_score,
            replacement_group,
            age,
        },
        site_code: Some(wire.site_code).filter(|c| !c.is_empty()),
        site_source: SiteSource::from_name(&wire.site_source),
        asset: has_asset.then(|| Asset {
            asset_tag: wire.asset_tag,
            department: wire.department,
            assigned_user: wire.assigned_user,
            ..Asset::default()
        }),
    })
}

pub fn trend_from_wire(points: Vec<pb::TrendPoint>) -> Result<Vec<(i64, Dimension, Counts)>, WireError> {
    points
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            Ok((
                p.day,
                dimension_from_wire(&format!("points[{i}].dimension"), &p.dimension)?,
                counts_from_wire(p.counts),
            ))
        })
        .collect()
}

pub fn trend_point_to_wire(day: i64, dimension: Dimension, counts: &Counts) -> pb::TrendPoint {
    pb::TrendPoint { day, dimension: dimension.name().into(), counts: Some(counts_to_wire(counts)) }
}
