//! Compiles `proto/parc/v1/*.proto` with protox (pure Rust), so building
//! Parc never needs a system `protoc`.

use prost::Message;
use std::path::PathBuf;

const PROTOS: &[&str] = &[
    "proto/parc/v1/inventory.proto",
    "proto/parc/v1/agent.proto",
    "proto/parc/v1/readiness.proto",
    "proto/parc/v1/waves.proto",
    "proto/parc/v1/access.proto",
    "proto/parc/v1/fleet.proto",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for proto in PROTOS {
        println!("cargo:rerun-if-changed={proto}");
    }
    let descriptors = protox::compile(PROTOS, ["proto"])?;
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("parc_v1_descriptor.bin"), descriptors.encode_to_vec())?;
    tonic_prost_build::configure().emit_rerun_if_changed(false).compile_fds(descriptors)?;
    Ok(())
}
