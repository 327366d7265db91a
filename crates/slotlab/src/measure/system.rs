//! Facts about the machine that measurements depend on.

/// Memory the kernel says can be allocated without swapping
/// (`MemAvailable` in `/proc/meminfo`), in bytes. `None` where the file is
/// missing or unreadable (not Linux).
pub fn available_memory_bytes() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_mem_available(&text)
}

/// Extracts `MemAvailable` (kB) from `/proc/meminfo` text, in bytes.
pub fn parse_mem_available(meminfo: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let rest = line.strip_prefix("MemAvailable:")?;
        let kib: u64 = rest.trim().strip_suffix("kB")?.trim().parse().ok()?;
        kib.checked_mul(1024)
    })
}

/// The CPU's model name (`model name` in `/proc/cpuinfo`), where known.
pub fn cpu_model() -> Option<String> {
    let text = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    text.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        (key.trim() == "model name").then(|| value.trim().to_owned())
    })
}

/// Cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Turns transparent huge pages on or off for this process (Linux:
/// `prctl(PR_SET_THP_DISABLE)`; it applies to every page touched from
/// then on). Huge pages mean fewer page faults when memory grows fast, but
/// each fault zeroes 2 MiB at once: a stall of milliseconds on some
/// machines, which a latency-bound workload feels. Returns whether they
/// were on before; an error where the system cannot say.
pub fn set_transparent_huge_pages(on: bool) -> Result<bool, String> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_GET/SET_THP_DISABLE take plain integers and only read
        // or flip a flag of this process's memory map.
        let disabled = unsafe { libc::prctl(libc::PR_GET_THP_DISABLE, 0, 0, 0, 0) };
        if disabled < 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        // SAFETY: as above.
        let set =
            unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, libc::c_ulong::from(!on), 0, 0, 0) };
        if set < 0 {
            return Err(std::io::Error::last_os_error().to_string());
        }
        Ok(disabled == 0)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = on;
        Err("transparent huge pages are a Linux setting".to_owned())
    }
}

/// Bytes in binary units, e.g. `57.23 MiB`, `22.9 GiB`.
pub fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} B")
    } else {
        format!("{value:.2} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_bytes_units() {
        assert_eq!(human_bytes(512.0), "512 B");
        assert_eq!(human_bytes(48.0 * 1024.0 * 1024.0), "48.00 MiB");
        assert_eq!(human_bytes(3.5 * 1024f64.powi(4)), "3.50 TiB");
    }

    #[test]
    fn parses_mem_available() {
        let text =
            "MemTotal:       24570000 kB\nMemFree:        100 kB\nMemAvailable:   23000000 kB\n";
        assert_eq!(parse_mem_available(text), Some(23_000_000 * 1024));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn huge_pages_turn_off_and_back_on() {
        let was = set_transparent_huge_pages(false).unwrap();
        assert!(
            !set_transparent_huge_pages(true).unwrap(),
            "they were just turned off"
        );
        assert!(set_transparent_huge_pages(was).unwrap());
    }

    #[test]
    fn missing_or_malformed_is_none() {
        assert_eq!(parse_mem_available("MemTotal: 5 kB\n"), None);
        assert_eq!(parse_mem_available("MemAvailable: lots kB\n"), None);
    }
}
