//! One device's readiness as people read it: the verdicts plus where the
//! device stands (its site and how it was placed there, its asset row).

use crate::asset::Asset;
use crate::rules::DeviceReadiness;
use serde::Serialize;

/// How a device came to be on its site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SiteSource {
    /// The longest subnet of a site matching one of its addresses.
    Subnet,
    /// Assigned by hand (`parc devices assign`), overriding the subnets.
    Manual,
    /// No site.
    None,
}

impl SiteSource {
    pub fn name(self) -> &'static str {
        match self {
            SiteSource::Subnet => "subnet",
            SiteSource::Manual => "manual",
            SiteSource::None => "",
        }
    }

    pub fn from_name(name: &str) -> SiteSource {
        match name {
            "subnet" => SiteSource::Subnet,
            "manual" => SiteSource::Manual,
            _ => SiteSource::None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceReadinessView {
    pub device_id: u64,
    pub readiness: DeviceReadiness,
    pub site_code: Option<String>,
    pub site_source: SiteSource,
    pub asset: Option<Asset>,
}
