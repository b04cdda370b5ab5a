//! `comfyctl hw`: what this machine can run. No config, no server.

use crate::Context;
use crate::cli::HwArgs;
use crate::error::ExitStatus;
use crate::hw::{self, FAMILIES, Machine};
use crate::report::commands::{FamilyFit, HwReport};
use serde_json::{Value, json};

const TORCH_PROBE: &str = r#"
import json
out = {}
try:
    import torch
    out["torch"] = torch.__version__
    out["cuda_available"] = torch.cuda.is_available()
    out["cuda"] = torch.version.cuda
    out["devices"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    mps = getattr(torch.backends, "mps", None)
    out["mps_available"] = bool(mps and mps.is_available())
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
print(json.dumps(out))
"#;

fn torch_probe() -> Value {
    for py in ["python3", "python"] {
        match std::process::Command::new(py)
            .args(["-c", TORCH_PROBE])
            .output()
        {
            Ok(o) if o.status.success() => {
                let text = String::from_utf8_lossy(&o.stdout);
                let mut v: Value = serde_json::from_str(text.trim())
                    .unwrap_or_else(|_| json!({"error": "unreadable probe output"}));
                v["python"] = json!(py);
                return v;
            }
            Ok(_) => return json!({"python": py, "error": "the probe failed"}),
            Err(_) => continue,
        }
    }
    json!({"error": "no python3 or python on PATH"})
}

fn verdict(m: &Machine) -> String {
    let gb = hw::card_gb(m);
    if gb == 0.0 {
        "no GPU found: SD 1.5 runs on the CPU (minutes per image); for anything larger use Comfy Cloud (--profile cloud) or a machine with an NVIDIA GPU of 8 GB or more".into()
    } else if gb < 6.0 {
        format!(
            "{gb:.0} GB of VRAM: SD 1.5 locally; SDXL, Flux and video are better on Comfy Cloud"
        )
    } else if gb < 12.0 {
        format!(
            "{gb:.0} GB of VRAM: SD 1.5, SDXL and small video models locally; Flux with offloading if RAM allows; large video on Comfy Cloud"
        )
    } else if gb < 24.0 {
        format!(
            "{gb:.0} GB of VRAM: image models including Flux fp8 locally; 14B video models on Comfy Cloud"
        )
    } else {
        format!("{gb:.0} GB of VRAM: everything in the table runs locally")
    }
}

/// Runs the command.
pub fn run(ctx: &Context, args: &HwArgs) -> anyhow::Result<ExitStatus> {
    let dir = args
        .output_dir
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from("."));
    let m = hw::probe(&dir);
    let torch = args.torch.then(torch_probe);
    let families: Vec<FamilyFit> = FAMILIES
        .iter()
        .map(|f| FamilyFit {
            family: f.name.to_string(),
            fit: hw::fit(&m, f),
            vram_gb: f.vram_gb,
            ram_gb_offloaded: f.ram_gb,
            why: hw::explain(&m, f),
        })
        .collect();
    let v = verdict(&m);
    if args.json {
        ctx.printer.report(
            &HwReport {
                machine: m,
                families,
                torch,
                verdict: v,
            },
            false,
        )?;
        return Ok(ExitStatus::Success);
    }
    let p = &ctx.printer;
    let gib = |mb: u64| format!("{:.1} GiB", mb as f64 / 1024.0);
    let mut os = format!("{} ({})", m.os, m.arch);
    if m.wsl {
        os.push_str(", WSL2");
    }
    if m.rosetta {
        os.push_str(", under Rosetta: install the arm64 build for GPU (MPS) access");
    }
    p.data_line(&format!("OS      {os}"))?;
    p.data_line(&format!("CPU     {} ({} threads)", m.cpu, m.cores))?;
    p.data_line(&format!(
        "RAM     {} total, {} available",
        gib(m.ram_total_mb),
        gib(m.ram_available_mb)
    ))?;
    if let Some(d) = m.disk_free_mb {
        p.data_line(&format!("Disk    {} free in {}", gib(d), dir.display()))?;
    }
    if m.gpus.is_empty() {
        p.data_line(&format!(
            "GPU     none found ({})",
            if m.probe_notes.is_empty() {
                "no probe answered".into()
            } else {
                m.probe_notes.join("; ")
            }
        ))?;
    }
    for g in &m.gpus {
        let extra: Vec<String> = [
            g.driver.as_ref().map(|d| format!("driver {d}")),
            g.runtime.as_ref().map(|r| match g.vendor.as_str() {
                "nvidia" => format!("CUDA {r}"),
                _ => r.clone(),
            }),
        ]
        .into_iter()
        .flatten()
        .collect();
        p.data_line(&format!(
            "GPU     {} — {} {}{}",
            g.name,
            gib(g.vram_mb),
            if g.vendor == "apple" {
                "unified (usable)"
            } else {
                "VRAM"
            },
            if extra.is_empty() {
                String::new()
            } else {
                format!(", {}", extra.join(", "))
            }
        ))?;
    }
    if let Some(t) = &torch {
        let line = match t.get("error").and_then(Value::as_str) {
            Some(e) if e.contains("No module named 'torch'") => format!(
                "PyTorch not installed for {} (ComfyUI installs it into its own environment)",
                t["python"].as_str().unwrap_or("python")
            ),
            Some(e) => format!("PyTorch probe: {e}"),
            None => format!(
                "PyTorch {} via {}: CUDA {}, MPS {}",
                t["torch"].as_str().unwrap_or("?"),
                t["python"].as_str().unwrap_or("python"),
                if t["cuda_available"] == true {
                    "available"
                } else {
                    "not available"
                },
                if t["mps_available"] == true {
                    "available"
                } else {
                    "not available"
                },
            ),
        };
        p.data_line(&line)?;
    }
    p.data_line("")?;
    let w = FAMILIES.iter().map(|f| f.name.len()).max().unwrap_or(10) + 2;
    p.data_line(&format!("{:w$}RUNS HERE", "MODEL FAMILY"))?;
    for f in FAMILIES {
        p.data_line(&format!("{:w$}{}", f.name, hw::explain(&m, f)))?;
    }
    p.data_line("")?;
    p.data_line(&format!("Verdict: {v}"))?;
    Ok(ExitStatus::Success)
}
