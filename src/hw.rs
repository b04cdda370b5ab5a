//! What this machine is: OS, CPU, memory, disk, GPUs (NVIDIA through `nvidia-smi`, AMD through
//! `rocm-smi`, Apple Silicon unified memory), and which model families it can run. Needs no
//! config and no server.

use serde::Serialize;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

/// One GPU.
#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
pub struct Gpu {
    /// `nvidia`, `amd` or `apple`.
    pub vendor: String,
    /// Marketing name.
    pub name: String,
    /// Memory usable for models, in MiB (unified memory on Apple Silicon).
    pub vram_mb: u64,
    /// Driver version, when known.
    pub driver: Option<String>,
    /// CUDA (NVIDIA) or ROCm (AMD) version, when known.
    pub runtime: Option<String>,
}

/// The machine.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Machine {
    /// OS name and version.
    pub os: String,
    /// CPU architecture.
    pub arch: String,
    /// CPU model.
    pub cpu: String,
    /// Logical cores.
    pub cores: usize,
    /// Total RAM in MiB.
    pub ram_total_mb: u64,
    /// Available RAM in MiB.
    pub ram_available_mb: u64,
    /// Free disk where outputs go, in MiB.
    pub disk_free_mb: Option<u64>,
    /// GPUs found.
    pub gpus: Vec<Gpu>,
    /// Running under WSL2.
    pub wsl: bool,
    /// An x86 binary under Rosetta on Apple Silicon.
    pub rosetta: bool,
    /// Why a GPU probe found nothing (tool missing, failed), for the report.
    pub probe_notes: Vec<String>,
}

/// Runs a tool with a timeout; `None` when missing or failing.
fn tool(cmd: &str, args: &[&str]) -> Result<String, String> {
    let mut child = Command::new(cmd)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("{cmd} not found"),
            _ => format!("{cmd} could not run ({e})"),
        })?;
    let start = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                let mut out = String::new();
                if let Some(mut o) = child.stdout.take() {
                    use std::io::Read;
                    let _ = o.read_to_string(&mut out);
                }
                return if status.success() {
                    Ok(out)
                } else {
                    Err(format!("{cmd} failed ({status})"))
                };
            }
            Ok(None) if start.elapsed() > Duration::from_secs(10) => {
                let _ = child.kill();
                return Err(format!("{cmd} did not answer within 10s"));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(format!("{cmd}: {e}")),
        }
    }
}

/// Parses `nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader,nounits`.
pub fn parse_nvidia_csv(csv: &str, cuda: Option<String>) -> Vec<Gpu> {
    csv.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            let [name, mem, driver, ..] = f.as_slice() else {
                return None;
            };
            Some(Gpu {
                vendor: "nvidia".into(),
                name: name.to_string(),
                vram_mb: mem.parse().ok()?,
                driver: Some(driver.to_string()).filter(|d| !d.is_empty()),
                runtime: cuda.clone(),
            })
        })
        .collect()
}

/// The "CUDA Version: 12.4" of plain `nvidia-smi`.
pub fn parse_cuda_version(banner: &str) -> Option<String> {
    let i = banner.find("CUDA Version:")?;
    banner[i + "CUDA Version:".len()..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

/// Parses `rocm-smi --showproductname --showmeminfo vram --json`.
pub fn parse_rocm_json(text: &str) -> Vec<Gpu> {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
        return Vec::new();
    };
    let Some(cards) = v.as_object() else {
        return Vec::new();
    };
    cards
        .iter()
        .filter(|(k, _)| k.starts_with("card"))
        .map(|(_, c)| {
            let s = |keys: &[&str]| {
                keys.iter()
                    .find_map(|k| c.get(*k).and_then(|x| x.as_str()).map(str::to_string))
            };
            let bytes: u64 = s(&["VRAM Total Memory (B)"])
                .and_then(|b| b.parse().ok())
                .unwrap_or(0);
            Gpu {
                vendor: "amd".into(),
                name: s(&["Card Series", "Card series", "Card Model", "Card model"])
                    .unwrap_or_else(|| "AMD GPU".into()),
                vram_mb: bytes / (1024 * 1024),
                driver: s(&["Driver version"]),
                runtime: None,
            }
        })
        .collect()
}

/// Free space in MiB on the disk holding `dir` (or the current directory when `dir` does not
/// exist yet): the mount with the longest matching prefix.
pub fn disk_free_mb(dir: &Path) -> Option<u64> {
    let disks = sysinfo::Disks::new_with_refreshed_list();
    let target = std::fs::canonicalize(dir)
        .or_else(|_| std::env::current_dir())
        .unwrap_or_default();
    disks
        .list()
        .iter()
        .filter(|d| target.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| d.available_space() / (1024 * 1024))
}

/// Probes this machine. `output_dir` is where free disk is measured.
pub fn probe(output_dir: &Path) -> Machine {
    use sysinfo::System;
    let mut sys = System::new();
    sys.refresh_memory();
    sys.refresh_cpu_list(sysinfo::CpuRefreshKind::nothing());
    let cpu = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| "unknown CPU".into());
    let disk_free_mb = disk_free_mb(output_dir);
    let mut notes = Vec::new();
    let mut gpus = Vec::new();
    match tool(
        "nvidia-smi",
        &[
            "--query-gpu=name,memory.total,driver_version",
            "--format=csv,noheader,nounits",
        ],
    ) {
        Ok(csv) => {
            let cuda = tool("nvidia-smi", &[])
                .ok()
                .and_then(|b| parse_cuda_version(&b));
            gpus.extend(parse_nvidia_csv(&csv, cuda));
        }
        Err(e) => notes.push(e),
    }
    match tool(
        "rocm-smi",
        &["--showproductname", "--showmeminfo", "vram", "--json"],
    ) {
        Ok(j) => gpus.extend(parse_rocm_json(&j)),
        Err(e) => notes.push(e),
    }
    let os = format!(
        "{} {}",
        System::name().unwrap_or_else(|| std::env::consts::OS.into()),
        System::os_version().unwrap_or_default()
    )
    .trim()
    .to_string();
    let mut rosetta = false;
    if cfg!(target_os = "macos") {
        rosetta = tool("sysctl", &["-n", "sysctl.proc_translated"])
            .map(|v| v.trim() == "1")
            .unwrap_or(false);
        let apple_silicon = cpu.starts_with("Apple") || rosetta;
        if apple_silicon {
            // Unified memory: the GPU can use most of RAM (macOS caps it near 70–75%).
            gpus.push(Gpu {
                vendor: "apple".into(),
                name: cpu.clone(),
                vram_mb: sys.total_memory() / (1024 * 1024) * 70 / 100,
                driver: None,
                runtime: Some("MPS".into()),
            });
        }
    }
    let wsl = std::fs::read_to_string("/proc/version")
        .map(|v| v.to_ascii_lowercase().contains("microsoft"))
        .unwrap_or(false);
    Machine {
        os,
        arch: std::env::consts::ARCH.into(),
        cpu,
        cores: sys.cpus().len().max(1),
        ram_total_mb: sys.total_memory() / (1024 * 1024),
        ram_available_mb: sys.available_memory() / (1024 * 1024),
        disk_free_mb,
        gpus,
        wsl,
        rosetta,
        probe_notes: notes,
    }
}

/// How well a family runs here.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// Runs on the GPU.
    Fits,
    /// Runs with weights offloaded to RAM (`--lowvram`), slower.
    Offload,
    /// Runs on the CPU only, very slowly.
    CpuOnly,
    /// Does not fit.
    No,
}

/// One row of the sizing table.
pub struct Family {
    /// Name.
    pub name: &'static str,
    /// VRAM for comfortable GPU runs, GiB.
    pub vram_gb: f64,
    /// RAM needed when weights are offloaded, GiB.
    pub ram_gb: f64,
    /// Runs on a CPU in minutes rather than hours.
    pub cpu_ok: bool,
}

/// The sizing table. Figures are weights at the stated precision (parameters × bytes) plus
/// activations and the text encoder, rounded up to common card sizes.
pub const FAMILIES: &[Family] = &[
    // UNet 0.86B params × 2 B = 1.7 GB + CLIP 0.25 GB + VAE; 4 GB cards run 512².
    Family {
        name: "SD 1.5 (fp16)",
        vram_gb: 4.0,
        ram_gb: 8.0,
        cpu_ok: true,
    },
    // UNet 2.6B × 2 B = 5.1 GB + CLIP-L/G 1.6 GB; 1024² activations need the rest of 8 GB.
    Family {
        name: "SDXL (fp16)",
        vram_gb: 8.0,
        ram_gb: 16.0,
        cpu_ok: false,
    },
    // MMDiT 2.5B × 2 B = 5 GB + T5-XXL fp8 4.9 GB (offloadable).
    Family {
        name: "SD3.5 Medium (fp16)",
        vram_gb: 8.0,
        ram_gb: 16.0,
        cpu_ok: false,
    },
    // MMDiT 8.1B × 2 B = 16.2 GB.
    Family {
        name: "SD3.5 Large (fp16)",
        vram_gb: 20.0,
        ram_gb: 32.0,
        cpu_ok: false,
    },
    // 12B transformer × 1 B = 11.9 GB (fp8) + T5-XXL fp8 4.9 GB offloaded.
    Family {
        name: "Flux dev/schnell (fp8)",
        vram_gb: 12.0,
        ram_gb: 32.0,
        cpu_ok: false,
    },
    // 12B × 2 B = 23.8 GB.
    Family {
        name: "Flux dev (fp16)",
        vram_gb: 24.0,
        ram_gb: 48.0,
        cpu_ok: false,
    },
    // 1.3B × 2 B = 2.6 GB + umT5-XXL fp8 6.7 GB offloaded; 480p × 33 frames activations.
    Family {
        name: "Wan 2.1 1.3B video (fp16)",
        vram_gb: 8.0,
        ram_gb: 16.0,
        cpu_ok: false,
    },
    // 14B × 1 B = 14 GB + activations for 480p video.
    Family {
        name: "Wan 2.x 14B video (fp8)",
        vram_gb: 24.0,
        ram_gb: 64.0,
        cpu_ok: false,
    },
    // 13B × 1 B = 12.8 GB + llava text encoder 8 GB (offloaded) + video activations.
    Family {
        name: "HunyuanVideo (fp8)",
        vram_gb: 24.0,
        ram_gb: 64.0,
        cpu_ok: false,
    },
    // 2B × 2 B = 4 GB + T5 offloaded.
    Family {
        name: "LTX-Video 2B (fp16)",
        vram_gb: 8.0,
        ram_gb: 16.0,
        cpu_ok: false,
    },
];

/// The largest GPU's memory in whole GB as cards are sold: a "12 GB" card reports 12282 MiB.
pub fn card_gb(m: &Machine) -> f64 {
    (m.gpus.iter().map(|g| g.vram_mb).max().unwrap_or(0) as f64 / 1024.0).round()
}

/// RAM in GiB as the operating system reports it: a "24 GB" machine shows about 23.5, since the
/// kernel and firmware keep some.
pub fn ram_gb(m: &Machine) -> f64 {
    m.ram_total_mb as f64 / 1024.0
}

/// RAM counts as enough when it is within 5% of the figure: the table's figures are the sizes
/// machines are sold with, and a 16 GB one reports ~15.5 GiB.
fn ram_enough(m: &Machine, need_gb: f64) -> bool {
    ram_gb(m) >= need_gb * 0.95
}

/// The least VRAM that runs a family with its weights offloaded to RAM.
pub fn offload_vram_gb(f: &Family) -> f64 {
    f.vram_gb * 0.6
}

/// Where a family stands on this machine.
pub fn fit(m: &Machine, f: &Family) -> Fit {
    let vram_gb = card_gb(m);
    if vram_gb >= f.vram_gb {
        Fit::Fits
    } else if vram_gb > 0.0 && vram_gb >= offload_vram_gb(f) && ram_enough(m, f.ram_gb) {
        Fit::Offload
    } else if vram_gb == 0.0 && f.cpu_ok && ram_enough(m, f.ram_gb) {
        Fit::CpuOnly
    } else {
        Fit::No
    }
}

/// The verdict for a family in one line, with the numbers that decided it: what it needs and
/// what this machine has. Offloading moves weights from VRAM to RAM, so it needs a GPU; the RAM
/// figure alone never makes a family fit.
pub fn explain(m: &Machine, f: &Family) -> String {
    let vram = card_gb(m);
    let ram = ram_gb(m);
    let (need, min, need_ram) = (f.vram_gb, offload_vram_gb(f).ceil(), f.ram_gb);
    match fit(m, f) {
        Fit::Fits => format!("yes: needs {need:.0} GB VRAM, {vram:.0} GB here"),
        Fit::Offload => format!(
            "with offloading (--lowvram; slower): {vram:.0} of {need:.0} GB VRAM, {ram:.1} GB RAM of {need_ram:.0} needed"
        ),
        Fit::CpuOnly => {
            format!("on the CPU only (slow): no GPU; {ram:.1} GB RAM of {need_ram:.0} needed")
        }
        Fit::No if vram == 0.0 && f.cpu_ok => {
            format!("no: on the CPU it needs {need_ram:.0} GB RAM, {ram:.1} GB here")
        }
        Fit::No if vram == 0.0 => format!(
            "no: needs a GPU with {need:.0} GB VRAM (or {min:.0} GB with {need_ram:.0} GB RAM, offloading); too slow on a CPU"
        ),
        Fit::No if vram >= offload_vram_gb(f) => {
            format!("no: {vram:.0} GB VRAM needs {need_ram:.0} GB RAM to offload, {ram:.1} GB here")
        }
        Fit::No => format!(
            "no: needs {need:.0} GB VRAM (or {min:.0} GB with {need_ram:.0} GB RAM, offloading), {vram:.0} GB here"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn machine(vram_mb: u64, ram_mb: u64) -> Machine {
        Machine {
            os: "Linux".into(),
            arch: "x86_64".into(),
            cpu: "cpu".into(),
            cores: 8,
            ram_total_mb: ram_mb,
            ram_available_mb: ram_mb,
            disk_free_mb: None,
            gpus: if vram_mb > 0 {
                vec![Gpu {
                    vendor: "nvidia".into(),
                    name: "x".into(),
                    vram_mb,
                    driver: None,
                    runtime: None,
                }]
            } else {
                vec![]
            },
            wsl: false,
            rosetta: false,
            probe_notes: vec![],
        }
    }

    #[test]
    fn parses_tool_output() {
        let g = parse_nvidia_csv(
            "NVIDIA GeForce RTX 4090, 24564, 550.54.14\nNVIDIA RTX A2000, 6138, 550.54.14\n",
            Some("12.4".into()),
        );
        assert_eq!(g.len(), 2);
        assert_eq!(g[0].vram_mb, 24564);
        assert_eq!(g[1].runtime.as_deref(), Some("12.4"));
        assert_eq!(
            parse_cuda_version(
                "| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14   CUDA Version: 12.4     |"
            ),
            Some("12.4".into())
        );
        let r = parse_rocm_json(
            r#"{"card0": {"Card Series": "Radeon RX 7900 XTX", "VRAM Total Memory (B)": "25753026560"}}"#,
        );
        assert_eq!(r[0].name, "Radeon RX 7900 XTX");
        assert_eq!(r[0].vram_mb, 24560);
    }

    #[test]
    fn sizing() {
        let sdxl = &FAMILIES[1];
        let flux8 = &FAMILIES[4];
        assert_eq!(fit(&machine(24_000, 64_000), flux8), Fit::Fits);
        assert_eq!(fit(&machine(8_192, 32_768), flux8), Fit::Offload);
        assert_eq!(fit(&machine(8_192, 16_384), flux8), Fit::No);
        assert_eq!(fit(&machine(8_192, 16_384), sdxl), Fit::Fits);
        assert_eq!(fit(&machine(0, 16_384), &FAMILIES[0]), Fit::CpuOnly);
        assert_eq!(fit(&machine(0, 16_384), sdxl), Fit::No);
    }

    #[test]
    fn every_verdict_agrees_with_the_numbers_it_prints() {
        let (sd15, sdxl, flux8) = (&FAMILIES[0], &FAMILIES[1], &FAMILIES[4]);
        // The issue's machine: no GPU, "24 GB" of RAM (23.5 GiB reported). Offloading needs a
        // GPU, so the 16 GB RAM figure does not make SDXL fit, and the line says why.
        let cpu24 = machine(0, 24_064);
        assert_eq!(
            explain(&cpu24, sdxl),
            "no: needs a GPU with 8 GB VRAM (or 5 GB with 16 GB RAM, offloading); too slow on a CPU"
        );
        assert_eq!(
            explain(&cpu24, sd15),
            "on the CPU only (slow): no GPU; 23.5 GB RAM of 8 needed"
        );
        assert_eq!(
            explain(&machine(0, 4_096), sd15),
            "no: on the CPU it needs 8 GB RAM, 4.0 GB here"
        );
        // A "12 GB" card (12282 MiB) with a "32 GB" machine (31.3 GiB): Flux fp8 fits,
        // SD3.5 Large (20 GB) offloads — 31.3 GiB is a 32 GB machine.
        let gpu12 = machine(12_282, 32_051);
        assert_eq!(explain(&gpu12, flux8), "yes: needs 12 GB VRAM, 12 GB here");
        assert_eq!(
            explain(&gpu12, &FAMILIES[3]),
            "with offloading (--lowvram; slower): 12 of 20 GB VRAM, 31.3 GB RAM of 32 needed"
        );
        // An 8 GB card: Flux fp8 could offload but 16 GB of RAM is too little; a 4 GB card is
        // too small to offload at all.
        assert_eq!(
            explain(&machine(8_192, 16_384), flux8),
            "no: 8 GB VRAM needs 32 GB RAM to offload, 16.0 GB here"
        );
        assert_eq!(
            explain(&machine(4_096, 64_000), flux8),
            "no: needs 12 GB VRAM (or 8 GB with 32 GB RAM, offloading), 4 GB here"
        );
    }
}
