//! The keyword pass: the patterns of `signals.toml`, compiled once into Aho-Corasick
//! automatons, and the search that adds their evidence to a request's features.

use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use serde::Deserialize;

/// Kinds of evidence the keyword pass collects. The scorer weighs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(usize)]
pub enum Signal {
    ReasoningHigh,
    ReasoningMid,
    Simple,
    OutputLong,
    OutputShort,
    Domain,
    Stakes,
    Casual,
    Nuance,
    Task,
    Problem,
    Technical,
    Proof,
    Math,
    MultiStep,
}

impl Signal {
    pub const COUNT: usize = 15;
    pub const ALL: [Signal; Signal::COUNT] = [
        Signal::ReasoningHigh,
        Signal::ReasoningMid,
        Signal::Simple,
        Signal::OutputLong,
        Signal::OutputShort,
        Signal::Domain,
        Signal::Stakes,
        Signal::Casual,
        Signal::Nuance,
        Signal::Task,
        Signal::Problem,
        Signal::Technical,
        Signal::Proof,
        Signal::Math,
        Signal::MultiStep,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Signal::ReasoningHigh => "deep reasoning",
            Signal::ReasoningMid => "analysis",
            Signal::Simple => "simple request",
            Signal::OutputLong => "long output",
            Signal::OutputShort => "short output",
            Signal::Domain => "specialist domain",
            Signal::Stakes => "high stakes",
            Signal::Casual => "casual",
            Signal::Nuance => "precise instructions",
            Signal::Task => "writing task",
            Signal::Problem => "problem to diagnose",
            Signal::Technical => "technical subject",
            Signal::Proof => "proof requested",
            Signal::Math => "mathematics",
            Signal::MultiStep => "several steps asked",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SignalFile {
    reasoning_high: Vec<String>,
    reasoning_mid: Vec<String>,
    simple: Vec<String>,
    output_long: Vec<String>,
    output_short: Vec<String>,
    domain: Vec<String>,
    stakes: Vec<String>,
    casual: Vec<String>,
    nuance: Vec<String>,
    task: Vec<String>,
    problem: Vec<String>,
    technical: Vec<String>,
    proof: Vec<String>,
    math: Vec<String>,
    multi_step: Vec<String>,
}

/// Per pattern: its signal, whether it may be followed by more letters, and whether it is
/// ASCII (word boundaries only make sense there).
#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    signal: Signal,
    prefix: bool,
    suffix: bool,
    ascii: bool,
}

/// The keyword patterns, in two automatons over lower-cased text: ASCII patterns first,
/// then the rest. Split and case-sensitive, the ASCII table has under 64 byte classes
/// (the joint, case-blind one had over 128) and stays in cache, and the other is searched
/// only in texts that are not all ASCII.
pub(super) struct Keywords {
    ascii: AhoCorasick,
    other: AhoCorasick,
    /// Patterns `0..ascii_len` are `ascii`'s, the rest `other`'s (from 0 there).
    ascii_len: usize,
    info: Vec<PatternInfo>,
    text: Vec<String>,
}

pub(super) static KEYWORDS: LazyLock<Keywords> = LazyLock::new(|| Keywords::load(include_str!("signals.toml")));

/// The text of keyword pattern `id` (from `Features::first_match`), for reasons.
pub fn keyword(id: u16) -> &'static str {
    &KEYWORDS.text[id as usize]
}

impl Keywords {
    /// How many patterns there are (for `Debug`).
    pub(super) fn len(&self) -> usize {
        self.info.len()
    }

    fn load(src: &str) -> Keywords {
        let file: SignalFile = toml::from_str(src).expect("signals.toml is valid");
        let groups = [
            (Signal::ReasoningHigh, file.reasoning_high),
            (Signal::ReasoningMid, file.reasoning_mid),
            (Signal::Simple, file.simple),
            (Signal::OutputLong, file.output_long),
            (Signal::OutputShort, file.output_short),
            (Signal::Domain, file.domain),
            (Signal::Stakes, file.stakes),
            (Signal::Casual, file.casual),
            (Signal::Nuance, file.nuance),
            (Signal::Task, file.task),
            (Signal::Problem, file.problem),
            (Signal::Technical, file.technical),
            (Signal::Proof, file.proof),
            (Signal::Math, file.math),
            (Signal::MultiStep, file.multi_step),
        ];
        let mut text = Vec::new();
        let mut info = Vec::new();
        for (signal, patterns) in groups {
            for p in patterns {
                let prefix = p.ends_with('*');
                let suffix = p.starts_with('*');
                let p = p.trim_matches('*').to_ascii_lowercase();
                if text.iter().zip(&info).any(|(t, i): (&String, &PatternInfo)| *t == p && i.signal == signal) {
                    continue;
                }
                info.push(PatternInfo { signal, prefix, suffix, ascii: p.is_ascii() });
                text.push(p);
            }
        }
        let (mut info, mut text): (Vec<PatternInfo>, Vec<String>) = {
            let (ascii, other): (Vec<_>, Vec<_>) = info.into_iter().zip(text).partition(|(i, _)| i.ascii);
            ascii.into_iter().chain(other).unzip()
        };
        info.shrink_to_fit();
        text.shrink_to_fit();
        let ascii_len = info.iter().take_while(|i| i.ascii).count();
        let build = |patterns: &[String]| {
            AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(AhoCorasickKind::DFA))
                .build(patterns)
                .expect("keyword automaton builds")
        };
        Keywords { ascii: build(&text[..ascii_len]), other: build(&text[ascii_len..]), ascii_len, info, text }
    }
}

thread_local! {
    /// The text being searched, lower-cased: one buffer per thread, grown once to the
    /// largest keyword window (4 KB).
    static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// A system prompt's keyword evidence, kept with the text it came from.
struct SystemScan {
    head: Box<str>,
    tail: Box<str>,
    hits: [f32; Signal::COUNT],
    first: [Option<u16>; Signal::COUNT],
}

/// System prompts searched recently on this thread, and the slot to fill next.
#[derive(Default)]
struct SystemScans {
    recent: [Option<SystemScan>; SYSTEM_SCANS],
    next: usize,
}

/// System prompts remembered per thread. An application sends a handful of system prompts
/// with nearly every request, and searching one costs more than comparing it.
const SYSTEM_SCANS: usize = 4;

thread_local! {
    static SYSTEM: std::cell::RefCell<SystemScans> = std::cell::RefCell::new(SystemScans::default());
}

impl Keywords {
    /// [`Keywords::collect`] for a system prompt's window, searched once per thread while
    /// it stays among the recent ones.
    pub(super) fn collect_system(
        &self,
        head: &str,
        tail: &str,
        weight: f32,
        hits: &mut [f32; Signal::COUNT],
        first: &mut [Option<u16>; Signal::COUNT],
    ) {
        SYSTEM.with_borrow_mut(|scans| {
            let found =
                scans.recent.iter().position(|s| s.as_ref().is_some_and(|s| *s.head == *head && *s.tail == *tail));
            let i = match found {
                Some(i) => i,
                None => {
                    let mut scan = SystemScan {
                        head: head.into(),
                        tail: tail.into(),
                        hits: [0.0; Signal::COUNT],
                        first: [None; Signal::COUNT],
                    };
                    self.collect(head, 1.0, &mut scan.hits, &mut scan.first);
                    self.collect(tail, 1.0, &mut scan.hits, &mut scan.first);
                    let i = scans.next;
                    scans.recent[i] = Some(scan);
                    scans.next = (i + 1) % SYSTEM_SCANS;
                    i
                }
            };
            let scan = scans.recent[i].as_ref().expect("just found or filled");
            for s in 0..Signal::COUNT {
                hits[s] += weight * scan.hits[s];
                first[s] = first[s].or(scan.first[s]);
            }
        });
    }

    /// Adds the keyword evidence in `text` to `hits`.
    pub(super) fn collect(
        &self,
        text: &str,
        weight: f32,
        hits: &mut [f32; Signal::COUNT],
        first: &mut [Option<u16>; Signal::COUNT],
    ) {
        if text.is_empty() {
            return;
        }
        let bytes = text.as_bytes();
        LOWERED.with_borrow_mut(|lowered| {
            lowered.clear();
            lowered.extend(bytes.iter().map(u8::to_ascii_lowercase));
            self.collect_lowered(bytes, lowered, weight, hits, first);
        });
    }

    /// [`Keywords::collect`] over `lowered`, `bytes` in ASCII lower case.
    fn collect_lowered(
        &self,
        bytes: &[u8],
        lowered: &[u8],
        weight: f32,
        hits: &mut [f32; Signal::COUNT],
        first: &mut [Option<u16>; Signal::COUNT],
    ) {
        // Where this text's first match of each signal ended (`MAX`: none in this text): the
        // two searches together name the keyword that comes first, as one search would.
        let mut first_end = [usize::MAX; Signal::COUNT];
        let other = (!bytes.is_ascii()).then(|| self.other.find_overlapping_iter(lowered));
        let matches = self
            .ascii
            .find_overlapping_iter(lowered)
            .map(|m| (m, 0))
            .chain(other.into_iter().flatten().map(|m| (m, self.ascii_len)));
        for (m, offset) in matches {
            let pid = m.pattern().as_usize() + offset;
            let info = self.info[pid];
            if info.ascii && !at_word_boundaries(bytes, m.start(), m.end(), info.prefix, info.suffix) {
                continue;
            }
            let s = info.signal as usize;
            hits[s] += weight;
            if first[s].is_none() || (first_end[s] != usize::MAX && m.end() < first_end[s]) {
                first[s] = Some(pid as u16);
                first_end[s] = m.end();
            }
        }
    }
}

fn at_word_boundaries(text: &[u8], start: usize, end: usize, prefix: bool, suffix: bool) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let before_ok = suffix || start == 0 || !word(text[start - 1]);
    let after_ok = prefix || end == text.len() || !word(text[end]);
    before_ok && after_ok
}
