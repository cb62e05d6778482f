pub use super::keywords::Signal;
use super::keywords::{Keywords, KEYWORDS};
use crate::types::{ChatRequest, Content, ContentPart, ResponseFormat, Role, ToolChoice, ToolChoiceMode};

/// What the scorer sees of a request: counts and weighted keyword evidence, gathered in
/// one pass per message text. Public so a learned [`super::Scorer`] can use it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Features {
    /// Bytes of text in all messages.
    pub total_bytes: usize,
    /// Bytes of the last user message, the one being answered.
    pub last_user_bytes: usize,
    /// Characters of the last user message (a CJK character is one, not three bytes).
    pub last_user_chars: usize,
    /// Bytes of system and developer messages.
    pub system_bytes: usize,
    /// Estimated prompt tokens, tool definitions included.
    pub input_tokens: u32,
    pub messages: u16,
    pub user_turns: u16,
    pub assistant_turns: u16,
    pub tool_results: u16,
    /// Tool definitions offered to the model.
    pub tools: u16,
    /// `tool_choice` forces a call.
    pub tool_forced: bool,
    pub json_mode: bool,
    pub json_schema: bool,
    pub images: u16,
    pub audio: u16,
    pub files: u16,
    /// Fenced code blocks anywhere, and code-looking text in the last user message.
    pub code_blocks: u16,
    pub code_in_last: bool,
    /// Question marks in the last user message.
    pub questions: u16,
    /// Numbers in the last user message (quantitative problems carry many).
    pub numbers: u16,
    /// Specialist tokens in the last user message: acronyms, mixed case, letters with
    /// digits (`fp16`, `P-256`, `OPA2134`, `GuardDuty`).
    pub jargon: u16,
    /// Inline enumerations (`1)`, `2.` mid-line) in the last user message: multi-part asks.
    pub steps: u16,
    /// List items (`1.`, `-`, `*`) in system and last user messages: a proxy for constraints.
    pub list_items: u16,
    /// Share of non-ASCII characters (0..1) in the last user message.
    pub non_ascii: f32,
    /// `max_tokens` / `max_completion_tokens` as sent.
    pub max_output: Option<u32>,
    /// A length asked for in words (`about 300 words`, `a 500-word essay`).
    pub words_asked: Option<u32>,
    /// Code punctuation (`{};=()[]<>`) per byte of the last user message.
    pub code_density: f32,
    /// Arithmetic operators (`+*^=/`) per byte of the last user message.
    pub math_density: f32,
    /// The last user message answers an assistant turn: a follow-up, often a short
    /// acknowledgement that needs little.
    pub follow_up: bool,
    /// Weighted keyword evidence per [`Signal`], from user turns (the last one counts most).
    pub hits: [f32; Signal::COUNT],
    /// Keyword evidence from system and developer messages.
    pub system_hits: [f32; Signal::COUNT],
    /// Keyword evidence from the ask in the last user message: all of a short message,
    /// the first and last paragraphs of a long one. The vocabulary of a pasted document
    /// says what it is about, not how hard the work asked of it is.
    pub ask_hits: [f32; Signal::COUNT],
    /// Bytes of the last user message outside its ask: pasted material.
    pub pasted_bytes: usize,
    /// Which pattern matched first for each signal, for the reasons.
    pub first_match: [Option<u16>; Signal::COUNT],
}

impl Features {
    pub fn hit(&self, s: Signal) -> f32 {
        self.hits[s as usize]
    }

    pub fn system_hit(&self, s: Signal) -> f32 {
        self.system_hits[s as usize]
    }
}

/// Extracts [`Features`] from requests. Building one is cheap: the keyword automaton is
/// compiled once per process and shared.
#[derive(Clone, Copy)]
pub struct Analyzer {
    keywords: &'static Keywords,
}

impl Default for Analyzer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("patterns", &self.keywords.len()).finish()
    }
}

/// Where a text sits in the conversation decides how much its keywords count.
#[derive(Clone, Copy, PartialEq)]
enum Place {
    LastUser,
    EarlierUser,
    System,
    Assistant,
    Other,
}

impl Analyzer {
    pub fn new() -> Self {
        Analyzer { keywords: &KEYWORDS }
    }

    pub fn analyze(&self, req: &ChatRequest) -> Features {
        let mut f = Features { messages: req.messages.len().min(u16::MAX as usize) as u16, ..Features::default() };
        let last_user = req.messages.iter().rposition(|m| m.role == Role::User);
        f.follow_up = last_user.is_some_and(|i| i > 0 && req.messages[i - 1].role == Role::Assistant);
        let mut tokens: u64 = 0;
        let mut last_non_ascii = 0usize;
        for (i, m) in req.messages.iter().enumerate() {
            // Keyword evidence comes from the recent turns and the instructions; older turns
            // count only for size and depth, which keeps long conversations cheap.
            let recent = i + RECENT_TURNS >= req.messages.len();
            let place = match m.role {
                Role::User if Some(i) == last_user => Place::LastUser,
                Role::User if recent => Place::EarlierUser,
                Role::System | Role::Developer => Place::System,
                Role::Assistant if recent => Place::Assistant,
                _ => Place::Other,
            };
            match m.role {
                Role::User => f.user_turns += 1,
                Role::Assistant => f.assistant_turns += 1,
                Role::Tool | Role::Function => f.tool_results += 1,
                _ => {}
            }
            tokens += 4; // per-message framing
            match &m.content {
                Some(Content::Text(t)) => tokens += self.scan(t, place, &mut f, &mut last_non_ascii),
                Some(Content::Parts(parts)) => {
                    for p in parts {
                        match p {
                            ContentPart::Text { text, .. } | ContentPart::Refusal { refusal: text, .. } => {
                                tokens += self.scan(text, place, &mut f, &mut last_non_ascii)
                            }
                            ContentPart::ImageUrl { .. } => {
                                f.images += 1;
                                tokens += 765; // a high-detail 1024² image in OpenAI's accounting
                            }
                            ContentPart::InputAudio { input_audio, .. } => {
                                f.audio += 1;
                                tokens += input_audio.data.len() as u64 / 100;
                            }
                            ContentPart::File { .. } => {
                                f.files += 1;
                                tokens += 1000;
                            }
                        }
                    }
                }
                None => {}
            }
            for c in m.tool_calls.iter().flatten() {
                tokens += (c.function.name.len() + c.function.arguments.len()) as u64 / 4 + 4;
            }
        }
        if let Some(tools) = &req.tools {
            f.tools = tools.len().min(u16::MAX as usize) as u16;
            for t in tools {
                if let Some(func) = &t.function {
                    let schema = func.parameters.as_ref().map_or(0, json_text_len);
                    tokens +=
                        (func.name.len() + func.description.as_ref().map_or(0, String::len) + schema) as u64 / 4 + 8;
                }
            }
        }
        f.tool_forced =
            matches!(req.tool_choice, Some(ToolChoice::Named(_)) | Some(ToolChoice::Mode(ToolChoiceMode::Required)));
        match &req.response_format {
            Some(ResponseFormat::JsonObject) => f.json_mode = true,
            Some(ResponseFormat::JsonSchema { json_schema }) => {
                f.json_mode = true;
                f.json_schema = true;
                tokens += json_schema.schema.as_ref().map_or(0, json_text_len) as u64 / 4;
            }
            _ => {}
        }
        f.max_output = req.max_output();
        f.non_ascii = if f.last_user_chars == 0 { 0.0 } else { last_non_ascii as f32 / f.last_user_chars as f32 };
        f.input_tokens = tokens.min(u32::MAX as u64) as u32;
        f
    }

    /// Statistics and keyword evidence for one text; returns its token estimate.
    ///
    /// Cost is bounded where it can be: every byte gets a vectorizable count, but the
    /// detailed statistics read only the first [`DETAIL_LIMIT`] bytes of the last user
    /// message and system prompt, and the keyword pass reads a head and tail window whose
    /// size depends on where the text sits (see [`keyword_window`]). Evidence per signal is
    /// capped by the scorer, so what lies deep inside a pasted document adds nothing.
    fn scan(&self, text: &str, place: Place, f: &mut Features, last_non_ascii: &mut usize) -> u64 {
        let bytes = text.as_bytes();
        f.total_bytes += bytes.len();
        let (ascii, non_ascii) = char_counts(bytes);
        // CJK and similar scripts run about one token per character.
        let tokens = (ascii as u64).div_ceil(4) + non_ascii as u64;
        let fences = fence_finder().find_iter(bytes).count();
        f.code_blocks = f.code_blocks.saturating_add((fences / 2) as u16);

        match place {
            Place::LastUser => {
                let d = detail(&bytes[..bytes.len().min(DETAIL_LIMIT)]);
                f.last_user_bytes += bytes.len();
                f.last_user_chars += ascii + non_ascii;
                f.questions = f.questions.saturating_add(d.questions);
                f.numbers = f.numbers.saturating_add(d.numbers);
                f.jargon = f.jargon.saturating_add(d.jargon);
                f.steps = f.steps.saturating_add(d.steps);
                f.list_items = f.list_items.saturating_add(d.list_items);
                f.code_in_last |= fences >= 2 || (d.code_sym >= 12 && d.code_sym * 20 >= d.len);
                if d.len > 0 {
                    f.code_density = d.code_sym as f32 / d.len as f32;
                    f.math_density = d.math_sym as f32 / d.len as f32;
                }
                f.words_asked = f.words_asked.or(d.words_asked);
                *last_non_ascii += non_ascii;
            }
            Place::System => {
                f.system_bytes += bytes.len();
                f.list_items = f.list_items.saturating_add(list_items(&bytes[..bytes.len().min(DETAIL_LIMIT)]));
            }
            _ => {}
        }

        let (weight, head, tail) = keyword_window(place);
        if weight == 0.0 {
            return tokens;
        }
        let (head, tail) = window(text, head, tail);
        if place == Place::System {
            self.keywords.collect_system(head, tail, weight, &mut f.system_hits, &mut f.first_match);
            return tokens;
        }
        let before = f.hits;
        self.keywords.collect(head, weight, &mut f.hits, &mut f.first_match);
        self.keywords.collect(tail, weight, &mut f.hits, &mut f.first_match);
        if place == Place::LastUser {
            let text = text.trim_end();
            if text.len() <= 2 * ASK_BYTES {
                // All of it is the ask, and was just searched.
                for (ask, (now, was)) in f.ask_hits.iter_mut().zip(f.hits.iter().zip(before)) {
                    *ask += now - was;
                }
            } else {
                let (first, last) = ask(text);
                let mut unused = [None; Signal::COUNT];
                self.keywords.collect(first, weight, &mut f.ask_hits, &mut unused);
                self.keywords.collect(last, weight, &mut f.ask_hits, &mut unused);
                f.pasted_bytes += text.len() - first.len() - last.len();
            }
        }
        tokens
    }
}

/// The parts of `text` keywords are read from: its first `head` and last `tail` bytes (at
/// character boundaries), or all of it and nothing when it is no longer than both.
fn window(text: &str, head: usize, tail: usize) -> (&str, &str) {
    if text.len() <= head + tail {
        return (text, "");
    }
    let head_end = floor_boundary(text, head);
    let tail_start = if tail > 0 { ceil_boundary(text, text.len() - tail) } else { text.len() };
    (&text[..head_end], &text[tail_start..])
}

/// Bytes at each end of a long last user message where its ask is looked for.
const ASK_BYTES: usize = 300;

/// The ask of a long message: its first and last paragraphs (or lines), each within
/// [`ASK_BYTES`] of its end. Asks come before or after what they ask about ("Extract the
/// dates from this email: ..." / "... which IP failed most?").
fn ask(text: &str) -> (&str, &str) {
    let head = &text[..floor_boundary(text, ASK_BYTES)];
    let first = head.find("\n\n").or_else(|| head.find('\n')).unwrap_or(head.len());
    let tail = &text[ceil_boundary(text, text.len() - ASK_BYTES)..];
    let last = tail.rfind("\n\n").map(|i| i + 2).or_else(|| tail.rfind('\n').map(|i| i + 1)).unwrap_or(0);
    (&head[..first], &tail[last..])
}

/// The code-fence searcher, built once: building a finder per text cost more than the
/// search itself on short requests.
fn fence_finder() -> &'static memchr::memmem::Finder<'static> {
    static FINDER: std::sync::OnceLock<memchr::memmem::Finder<'static>> = std::sync::OnceLock::new();
    FINDER.get_or_init(|| memchr::memmem::Finder::new(b"```"))
}

/// Messages at the end of a conversation whose keywords count.
const RECENT_TURNS: usize = 6;

/// Bytes of the last user message and system prompt read for detailed statistics.
pub const DETAIL_LIMIT: usize = 8 * 1024;

/// Keyword weight and the head and tail bytes read, by place in the conversation: the
/// message being answered counts most and is read furthest.
fn keyword_window(place: Place) -> (f32, usize, usize) {
    match place {
        Place::LastUser => (1.0, 4096, 1024),
        Place::System => (1.0, 2048, 512),
        Place::EarlierUser => (0.7, 256, 0),
        Place::Assistant => (0.0, 0, 0),
        Place::Other => (0.0, 0, 0),
    }
}

/// ASCII bytes and non-ASCII characters, in one vectorizable pass.
///
/// Counts in byte-wide lanes over chunks of 255 (no lane can overflow), which vectorizes
/// to full-width compares instead of widening every byte to a 64-bit sum.
fn char_counts(bytes: &[u8]) -> (usize, usize) {
    let (mut high, mut lead) = (0usize, 0usize);
    for chunk in bytes.chunks(255) {
        let (h, l) = chunk
            .iter()
            .fold((0u8, 0u8), |(h, l), &b| (h.wrapping_add(u8::from(b >= 0x80)), l.wrapping_add(u8::from(b >= 0xC0))));
        high += usize::from(h);
        lead += usize::from(l);
    }
    (bytes.len() - high, lead)
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Detailed statistics of a (bounded) text.
#[derive(Default)]
struct Detail {
    len: usize,
    questions: u16,
    numbers: u16,
    jargon: u16,
    steps: u16,
    list_items: u16,
    code_sym: usize,
    math_sym: usize,
    words_asked: Option<u32>,
}

fn detail(bytes: &[u8]) -> Detail {
    let mut d = Detail { len: bytes.len(), ..Detail::default() };
    let mut word = WordShape::default();
    let mut line_start = true;
    let mut prev = b' ';
    // The last number seen and whether only spaces or a hyphen followed it: `300 words`.
    let mut number: Option<u32> = None;
    let mut start = 0usize;
    let count = |shape: Shape, d: &mut Detail| match shape {
        Shape::Number => d.numbers = d.numbers.saturating_add(1),
        Shape::Jargon => d.jargon = d.jargon.saturating_add(1),
        Shape::Plain => {}
    };
    for (i, &b) in bytes.iter().enumerate() {
        if b.is_ascii_alphanumeric() || (b == b'-' && word.len > 0) || (b == b'.' && word.digits > 0) {
            if word.len == 0 {
                start = i;
            }
            word.push(b);
        } else {
            if word.len > 0 {
                let w = &bytes[start..i];
                let digits = w.iter().take_while(|c| c.is_ascii_digit()).count();
                let rest = &w[digits..];
                if digits > 0 && (rest.eq_ignore_ascii_case(b"-word") || rest.eq_ignore_ascii_case(b"-words")) {
                    d.words_asked = d.words_asked.or_else(|| parse_u32(&w[..digits]));
                } else if (w.eq_ignore_ascii_case(b"words") || w.eq_ignore_ascii_case(b"word")) && number.is_some() {
                    d.words_asked = d.words_asked.or(number);
                }
                number = if digits == w.len() { parse_u32(w) } else { None };
            }
            count(word.finish(), &mut d);
            if matches!(b, b'+' | b'*' | b'^' | b'=' | b'/') {
                d.math_sym += 1;
            }
            match b {
                b'{' | b'}' | b';' | b'=' | b'(' | b'[' | b']' | b'<' | b'>' => d.code_sym += 1,
                b')' => {
                    d.code_sym += 1;
                    if prev.is_ascii_digit() {
                        d.steps = d.steps.saturating_add(1);
                    }
                }
                b'?' => d.questions = d.questions.saturating_add(1),
                _ => {}
            }
        }
        if line_start && (b == b'-' || b == b'*' || b.is_ascii_digit()) {
            d.list_items = d.list_items.saturating_add(1);
        }
        line_start = b == b'\n' || (line_start && (b == b' ' || b == b'\t'));
        prev = b;
    }
    count(word.finish(), &mut d);
    d
}

/// [`detail`]'s `list_items` alone, for system prompts (where nothing else of it is read):
/// lines whose first character after spaces is a dash, a star or a digit.
fn list_items(bytes: &[u8]) -> u16 {
    let starts = std::iter::once(0).chain(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
    let items = starts
        .filter(|&i| {
            let first = bytes[i.min(bytes.len())..].iter().find(|&&b| b != b' ' && b != b'\t');
            matches!(first, Some(b'-' | b'*' | b'0'..=b'9'))
        })
        .count();
    u16::try_from(items).unwrap_or(u16::MAX)
}

/// Classifies ASCII words as they stream past, without allocating.
#[derive(Default)]
struct WordShape {
    len: u16,
    upper: u16,
    lower: u16,
    digits: u16,
}

enum Shape {
    Plain,
    Number,
    Jargon,
}

impl WordShape {
    fn push(&mut self, b: u8) {
        self.len = self.len.saturating_add(1);
        if b.is_ascii_uppercase() {
            self.upper += 1;
        } else if b.is_ascii_lowercase() {
            self.lower += 1;
        } else if b.is_ascii_digit() {
            self.digits += 1;
        }
    }

    fn finish(&mut self) -> Shape {
        let w = std::mem::take(self);
        if w.len == 0 {
            return Shape::Plain;
        }
        let letters = w.upper + w.lower;
        if w.digits > 0 && letters == 0 {
            Shape::Number
        } else if (w.digits > 0 && letters > 0) || w.upper >= 2 {
            Shape::Jargon
        } else {
            Shape::Plain
        }
    }
}

fn parse_u32(digits: &[u8]) -> Option<u32> {
    digits.iter().try_fold(0u32, |n, c| n.checked_mul(10)?.checked_add(u32::from(c - b'0')))
}

/// Characters of text in a JSON value (keys and strings), to estimate the tokens of a
/// tool schema without serializing it.
fn json_text_len(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::String(s) => s.len() + 2,
        serde_json::Value::Array(a) => a.iter().map(json_text_len).sum::<usize>() + 2,
        serde_json::Value::Object(o) => o.iter().map(|(k, v)| k.len() + 3 + json_text_len(v)).sum::<usize>() + 2,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::{detail, list_items, Analyzer};
    use crate::types::{ChatRequest, Message};

    /// The features of `req` with no system prompt remembered on this thread.
    fn fresh(req: &ChatRequest) -> super::Features {
        std::thread::scope(|s| s.spawn(|| Analyzer::new().analyze(req)).join().expect("analysis runs"))
    }

    #[test]
    fn a_remembered_system_prompt_gives_the_features_a_fresh_search_gives() {
        let long = format!("Prove each claim step by step. {} Never guess a dosage.", "Be brief. ".repeat(400));
        let prompts =
            ["You are a terse SQL tutor: prove the query is correct.", long.as_str(), "", "Translate to French."];
        let analyzer = Analyzer::new();
        // Five prompts cycle through four slots, so remembered and evicted ones both come back.
        for round in 0..3 {
            for (i, system) in prompts.iter().chain(["Explain the theorem and its proof."].iter()).enumerate() {
                let req = ChatRequest::new(
                    "gpt-4o",
                    vec![
                        Message::user("earlier: what is a monad?"),
                        Message::system(*system),
                        Message::user(format!("Round {round}: derive the complexity of algorithm {i}.")),
                    ],
                );
                assert_eq!(analyzer.analyze(&req), fresh(&req), "round {round}, prompt {i}");
            }
        }
    }

    #[test]
    fn a_pasted_documents_vocabulary_is_not_read_as_the_ask() {
        use super::Signal;
        let log = "Dec 4 sshd[311]: Failed password for root from 203.0.113.9 port 22 ssh2; \
                   possible breach, escalate incident, dosage of the kernel exploit\n"
            .repeat(20);
        let long = format!("Which IP appears most often in this log?\n\n{log}\nJust the IP please.");
        let f = fresh(&ChatRequest::new("gpt-4o", vec![Message::user(long.as_str())]));
        assert!(f.pasted_bytes > log.len() / 2, "{}", f.pasted_bytes);
        assert!(f.hit(Signal::Problem) + f.hit(Signal::Stakes) > 0.0, "the whole message reads as an incident");
        assert_eq!(f.ask_hits[Signal::Problem as usize] + f.ask_hits[Signal::Stakes as usize], 0.0);
        assert!(f.ask_hits[Signal::Simple as usize] + f.ask_hits[Signal::OutputShort as usize] > 0.0);
        // A short message is all ask.
        let short = "Prove that the square root of 2 is irrational.";
        let f = fresh(&ChatRequest::new("gpt-4o", vec![Message::user(short)]));
        assert_eq!((f.ask_hits, f.pasted_bytes), (f.hits, 0));
    }

    #[test]
    fn system_prompt_list_items_count_as_the_full_pass_counts_them() {
        for text in [
            "",
            "You are a helpful assistant.",
            "Rules:\n- be brief\n  * cite sources\n3. never guess\n\n  \n-\nend",
            "\n\n- a\n\t- b\nx - c\n42 is the answer\n*",
            "no list here\nnor here - at all\n   \n",
        ] {
            assert_eq!(list_items(text.as_bytes()), detail(text.as_bytes()).list_items, "{text:?}");
        }
    }
}
