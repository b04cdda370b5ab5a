//! iTerm2's inline images (iTerm2, WezTerm, mintty): one OSC 1337 sequence with the whole file
//! in base64. <https://iterm2.com/documentation-images.html>

use std::io;

/// Writes `ESC ] 1337 ; File=inline=1;size=N;width=C;height=R;preserveAspectRatio=1 : BASE64 BEL`
/// — `width`/`height` are in cells, `size` is the file's length in bytes.
pub fn write(out: &mut Vec<u8>, file: &[u8], cols: u16, rows: u16, tmux: bool) -> io::Result<()> {
    let seq = format!(
        "\x1b]1337;File=inline=1;size={};width={cols};height={rows};preserveAspectRatio=1:{}\x07",
        file.len(),
        super::base64(file)
    );
    if tmux {
        super::tmux_wrap(out, seq.as_bytes());
    } else {
        out.extend_from_slice(seq.as_bytes());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_goes_in_one_osc_1337_sequence() {
        let mut out = Vec::new();
        write(&mut out, b"\x89PNG\r\n", 12, 6, false).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            "\x1b]1337;File=inline=1;size=6;width=12;height=6;preserveAspectRatio=1:iVBORw0K\x07"
        );
        let mut wrapped = Vec::new();
        write(&mut wrapped, b"\x89PNG\r\n", 12, 6, true).unwrap();
        assert!(wrapped.starts_with(b"\x1bPtmux;\x1b\x1b]1337;File=inline=1;size=6;"));
        assert!(wrapped.ends_with(b":iVBORw0K\x07\x1b\\"));
    }
}
