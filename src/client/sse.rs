//! Server-Sent Events: an incremental parser for `text/event-stream` bodies (the Comfy API v2
//! job stream), following the WHATWG event-stream rules — LF, CRLF or lone CR line ends (also
//! split across chunks), comments, multi-line `data`, `event`, `id`, `retry`, a leading BOM —
//! and a reader that pulls it from a streaming HTTP answer until the server closes it.

use std::collections::VecDeque;

/// One dispatched event (`event:`/`data:` lines ended by a blank line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` name; `message` when the server sent none (the spec's default).
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen on this stream, if any (the v2 stream sends none).
    pub id: Option<String>,
}

/// What a stream yields: events and comments (`: keepalive`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SseItem {
    /// A dispatched event.
    Event(SseEvent),
    /// A comment line's text after the `:` and one optional space.
    Comment(String),
    /// A `retry:` line: the reconnection delay the server asks for, in milliseconds.
    Retry(u64),
}

/// A stream that breaks the framing rules badly enough that reading on is pointless.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One line grew past the limit without a line end (a broken or hostile server).
    #[error("an event-stream line is longer than {limit} bytes")]
    LineTooLong {
        /// The limit.
        limit: usize,
    },
}

/// The longest line accepted by default: a v2 `preview` frame is one ~50 KB line; 16 MiB leaves
/// room for big previews while bounding memory.
pub const DEFAULT_MAX_LINE: usize = 16 << 20;

/// Incremental parser: feed it bytes as they arrive, take items as they complete.
#[derive(Debug)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous chunk ended in `\r`: a `\n` at the start of the next one ends nothing.
    after_cr: bool,
    /// Still at the very start of the stream (a UTF-8 BOM there is dropped).
    at_start: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    max_line: usize,
    ready: VecDeque<SseItem>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the default line limit.
    pub fn new() -> Self {
        Self::with_max_line(DEFAULT_MAX_LINE)
    }

    /// A parser refusing lines longer than `max_line` bytes.
    pub fn with_max_line(max_line: usize) -> Self {
        SseParser {
            line: Vec::new(),
            after_cr: false,
            at_start: true,
            event: None,
            data: String::new(),
            has_data: false,
            last_id: None,
            max_line,
            ready: VecDeque::new(),
        }
    }

    /// Feeds the next bytes of the body; completed items are queued for [`SseParser::next_item`].
    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<(), SseError> {
        if self.at_start && !chunk.is_empty() {
            // The BOM may itself arrive split; collect up to three bytes before deciding.
            let mut head = std::mem::take(&mut self.line);
            let need = 3usize.saturating_sub(head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..need]);
            chunk = &chunk[need..];
            if head.len() < 3 && b"\xEF\xBB\xBF".starts_with(&head) {
                self.line = head;
                return Ok(());
            }
            self.at_start = false;
            let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head).to_vec();
            self.scan(&head)?;
        }
        self.scan(chunk)
    }

    fn scan(&mut self, mut chunk: &[u8]) -> Result<(), SseError> {
        if self.after_cr && chunk.first() == Some(&b'\n') {
            chunk = &chunk[1..];
        }
        if !chunk.is_empty() {
            self.after_cr = false;
        }
        while let Some(pos) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            self.push_line_bytes(&chunk[..pos])?;
            let line = std::mem::take(&mut self.line);
            self.process_line(&line);
            let is_cr = chunk[pos] == b'\r';
            chunk = &chunk[pos + 1..];
            if is_cr {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    None => self.after_cr = true,
                    Some(_) => {}
                }
            }
        }
        self.push_line_bytes(chunk)
    }

    fn push_line_bytes(&mut self, bytes: &[u8]) -> Result<(), SseError> {
        if self.line.len() + bytes.len() > self.max_line {
            return Err(SseError::LineTooLong {
                limit: self.max_line,
            });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn process_line(&mut self, raw: &[u8]) {
        if raw.is_empty() {
            self.dispatch();
            return;
        }
        let line = String::from_utf8_lossy(raw);
        if let Some(comment) = line.strip_prefix(':') {
            let text = comment.strip_prefix(' ').unwrap_or(comment);
            self.ready.push_back(SseItem::Comment(text.to_string()));
            return;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => self.event = Some(value.to_string()),
            "data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(value);
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_string()),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(ms) = value.parse() {
                    self.ready.push_back(SseItem::Retry(ms));
                }
            }
            _ => {}
        }
    }

    fn dispatch(&mut self) {
        let event = self.event.take();
        if !self.has_data {
            return;
        }
        self.has_data = false;
        self.ready.push_back(SseItem::Event(SseEvent {
            event: event
                .filter(|e| !e.is_empty())
                .unwrap_or_else(|| "message".into()),
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        }));
    }

    /// The next completed item, oldest first.
    pub fn next_item(&mut self) -> Option<SseItem> {
        self.ready.pop_front()
    }

    /// True when a partial line or an undispatched event is buffered: at end of stream that
    /// part is dropped (the spec discards an event without its blank line), and a caller may
    /// want to say the stream was cut.
    pub fn has_partial(&self) -> bool {
        !self.line.is_empty() || self.has_data || self.event.is_some()
    }
}

/// Reads a streaming HTTP answer as events until the server closes it.
pub struct SseReader {
    response: reqwest::Response,
    parser: SseParser,
    done: bool,
}

/// Why reading a stream stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SseReadError {
    /// The connection broke or stalled.
    #[error("the event stream broke: {0}")]
    Transport(#[source] reqwest::Error),
    /// The bytes are not an event stream.
    #[error(transparent)]
    Framing(#[from] SseError),
}

impl SseReader {
    /// Wraps an answer whose body is `text/event-stream`.
    pub fn new(response: reqwest::Response) -> Self {
        SseReader {
            response,
            parser: SseParser::new(),
            done: false,
        }
    }

    /// The next item; `None` once the server has closed the stream (read to EOF: v2 sends
    /// `output` frames after its final `status`). A partial event at EOF is dropped.
    pub async fn next(&mut self) -> Result<Option<SseItem>, SseReadError> {
        loop {
            if let Some(item) = self.parser.next_item() {
                return Ok(Some(item));
            }
            if self.done {
                return Ok(None);
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.parser.feed(&bytes)?,
                Ok(None) => self.done = true,
                Err(e) => return Err(SseReadError::Transport(e.without_url())),
            }
        }
    }

    /// True when the stream ended in the middle of an event (cut, not closed cleanly).
    pub fn ended_mid_event(&self) -> bool {
        self.done && self.parser.has_partial()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseItem> {
        let mut p = SseParser::new();
        let mut out = Vec::new();
        for c in chunks {
            p.feed(c).unwrap();
            while let Some(i) = p.next_item() {
                out.push(i);
            }
        }
        out
    }

    fn ev(event: &str, data: &str) -> SseItem {
        SseItem::Event(SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
        })
    }

    #[test]
    fn framing_rules() {
        let items = parse_all(&[
            b"\xEF\xBB\xBF: keepalive\n\nevent: status\ndata: {\"a\":1}\n\n",
            b"data: one\r\ndata:two\r\n\r\n",
            b"data\n\nevent: x\r",
            b"\ndata:  spaced\r\rretry: 1500\nretry: 1.5\nunknown: y\n:\n\n",
        ]);
        assert_eq!(
            items,
            [
                SseItem::Comment("keepalive".into()),
                ev("status", "{\"a\":1}"),
                ev("message", "one\ntwo"),
                ev("message", ""),
                ev("x", " spaced"),
                SseItem::Retry(1500),
                SseItem::Comment(String::new()),
            ]
        );
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_resets_the_name() {
        let items = parse_all(&[b"event: lonely\n\ndata: x\n\n"]);
        assert_eq!(items, [ev("message", "x")]);
    }

    #[test]
    fn ids_stick_and_partial_events_are_reported() {
        let mut p = SseParser::new();
        p.feed(b"id: 7\ndata: a\n\ndata: b\n\ndata: cut").unwrap();
        let a = p.next_item().unwrap();
        let b = p.next_item().unwrap();
        assert!(matches!(a, SseItem::Event(SseEvent { id: Some(ref i), .. }) if i == "7"));
        assert!(matches!(b, SseItem::Event(SseEvent { id: Some(ref i), .. }) if i == "7"));
        assert!(p.next_item().is_none());
        assert!(p.has_partial());
    }

    #[test]
    fn bom_split_across_chunks_and_long_lines() {
        assert_eq!(
            parse_all(&[b"\xEF", b"\xBB", b"\xBFdata: x\n\n"]),
            [ev("message", "x")]
        );
        // Not a BOM after all: the bytes are kept.
        assert!(parse_all(&[b"\xEF", b"data: x\n\n"]).is_empty());
        let mut p = SseParser::with_max_line(8);
        assert_eq!(
            p.feed(b"data: 0123456789"),
            Err(SseError::LineTooLong { limit: 8 })
        );
    }

    /// Every recorded stream, fed at every chunk boundary the proxy used and again one byte at a
    /// time, gives back exactly the recorded frames.
    #[test]
    fn recorded_streams_parse_exactly() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/comfy-api-v2");
        let mut streams = 0;
        let mut frames_seen = 0;
        for sub in ["", "extra", "upstream-0.3.64"] {
            for entry in std::fs::read_dir(format!("{dir}/{sub}")).unwrap() {
                let path = entry.unwrap().path();
                if path.extension().and_then(|e| e.to_str()) != Some("json") {
                    continue;
                }
                let doc: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
                let Some(exchanges) = doc["exchanges"].as_array() else {
                    continue;
                };
                for e in exchanges {
                    let r = &e["response"];
                    if r["body_kind"] != "sse" {
                        continue;
                    }
                    streams += 1;
                    let frames = r["frames"].as_array().unwrap();
                    let raw: Vec<&str> =
                        frames.iter().map(|f| f["raw"].as_str().unwrap()).collect();
                    let per_frame: Vec<&[u8]> = raw.iter().map(|s| s.as_bytes()).collect();
                    let whole = raw.concat();
                    let bytewise: Vec<&[u8]> = whole.as_bytes().chunks(1).collect();
                    for items in [parse_all(&per_frame), parse_all(&bytewise)] {
                        assert_eq!(items.len(), frames.len(), "{}", path.display());
                        for (item, f) in items.iter().zip(frames) {
                            frames_seen += 1;
                            match item {
                                SseItem::Comment(c) => assert_eq!(f["comment"], *c),
                                SseItem::Event(ev) => {
                                    assert_eq!(f["event"], ev.event.as_str());
                                    let data: Value = serde_json::from_str(&ev.data).unwrap();
                                    assert_eq!(f["data"], data, "{}", path.display());
                                    assert!(ev.id.is_none());
                                }
                                SseItem::Retry(_) => panic!("the proxy sends no retry"),
                            }
                        }
                    }
                }
            }
        }
        assert!(streams >= 30, "only {streams} recorded streams found");
        assert!(frames_seen > 200);
    }
}
