//! The kitty graphics protocol (kitty, Ghostty; WezTerm has it off by default): a PNG sent
//! inline as base64 in APC sequences `ESC _ G keys ; payload ESC \`.
//! <https://sw.kovidgoyal.net/kitty/graphics-protocol/>

use std::io;

/// The protocol's limit on one chunk's base64 payload.
pub const CHUNK: usize = 4096;

/// Writes `png` to be shown at the cursor in `cols × rows` cells. `a=T` transmits and places
/// it, `f=100` says PNG, `t=d` data inline, `q=2` asks the terminal not to answer (an answer
/// would arrive on our stdin). The payload goes in chunks of at most 4096 base64 bytes, every
/// one but the last with `m=1`. With `id`, an earlier image of that id is replaced (the live
/// preview). In tmux each chunk is wrapped for passthrough.
pub fn write(
    out: &mut Vec<u8>,
    png: &[u8],
    cols: u16,
    rows: u16,
    id: Option<u32>,
    tmux: bool,
) -> io::Result<()> {
    let b64 = super::base64(png);
    let chunks: Vec<&[u8]> = b64.as_bytes().chunks(CHUNK).collect();
    let last = chunks.len().saturating_sub(1);
    for (n, chunk) in chunks.iter().enumerate() {
        let mut seq = Vec::with_capacity(chunk.len() + 64);
        seq.extend_from_slice(b"\x1b_G");
        if n == 0 {
            seq.extend_from_slice(format!("a=T,f=100,t=d,q=2,c={cols},r={rows},").as_bytes());
            if let Some(id) = id {
                seq.extend_from_slice(format!("i={id},").as_bytes());
            }
        }
        seq.extend_from_slice(if n == last { b"m=0;" } else { b"m=1;" });
        seq.extend_from_slice(chunk);
        seq.extend_from_slice(b"\x1b\\");
        if tmux {
            super::tmux_wrap(out, &seq);
        } else {
            out.extend_from_slice(&seq);
        }
    }
    Ok(())
}

/// Deletes the image with this id and its placements (`a=d,d=I`), freeing the terminal's memory.
pub fn delete(out: &mut Vec<u8>, id: u32, tmux: bool) {
    let seq = format!("\x1b_Ga=d,d=I,i={id},q=2\x1b\\");
    if tmux {
        super::tmux_wrap(out, seq.as_bytes());
    } else {
        out.extend_from_slice(seq.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// Splits the output into (keys, payload) per APC sequence.
    fn sequences(out: &[u8]) -> Vec<(String, String)> {
        let s = std::str::from_utf8(out).unwrap();
        let mut v = Vec::new();
        for part in s.split("\x1b\\").filter(|p| !p.is_empty()) {
            let body = part
                .strip_prefix("\x1b_G")
                .expect("every sequence is an APC G");
            let (keys, payload) = body.split_once(';').unwrap();
            v.push((keys.to_string(), payload.to_string()));
        }
        v
    }

    #[test]
    fn a_large_image_goes_in_4096_byte_chunks_with_m_1_then_m_0() {
        // 10,000 bytes → 13,336 base64 bytes → chunks of 4096, 4096, 4096, 1048.
        let png: Vec<u8> = (0..10_000u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut out = Vec::new();
        write(&mut out, &png, 40, 20, None, false).unwrap();
        let seqs = sequences(&out);
        assert_eq!(seqs.len(), 4);
        assert_eq!(seqs[0].0, "a=T,f=100,t=d,q=2,c=40,r=20,m=1");
        assert_eq!(seqs[1].0, "m=1");
        assert_eq!(seqs[2].0, "m=1");
        assert_eq!(seqs[3].0, "m=0");
        let lens: Vec<usize> = seqs.iter().map(|s| s.1.len()).collect();
        assert_eq!(lens, [4096, 4096, 4096, 1048]);
        let joined: String = seqs.iter().map(|s| s.1.as_str()).collect();
        let back = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap();
        assert_eq!(back, png, "the chunks carry the PNG bytes in order");
    }

    #[test]
    fn a_small_image_is_one_sequence_with_m_0_and_its_id() {
        let mut out = Vec::new();
        write(&mut out, b"\x89PNG", 3, 2, Some(7), false).unwrap();
        assert_eq!(
            out,
            b"\x1b_Ga=T,f=100,t=d,q=2,c=3,r=2,i=7,m=0;iVBORw==\x1b\\".to_vec()
        );
        let mut del = Vec::new();
        delete(&mut del, 7, false);
        assert_eq!(del, b"\x1b_Ga=d,d=I,i=7,q=2\x1b\\".to_vec());
    }

    #[test]
    fn in_tmux_each_chunk_is_wrapped_with_its_escapes_doubled() {
        let mut out = Vec::new();
        write(&mut out, b"\x89PNG", 3, 2, None, true).unwrap();
        assert_eq!(
            out,
            b"\x1bPtmux;\x1b\x1b_Ga=T,f=100,t=d,q=2,c=3,r=2,m=0;iVBORw==\x1b\x1b\\\x1b\\".to_vec()
        );
    }
}
