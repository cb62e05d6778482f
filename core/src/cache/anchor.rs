//! The guard for embedders that read meaning (the local model): what must be equal before
//! similarity counts, when wording may change.
//!
//! The hashing embedder cannot tell a paraphrase from another question, so with it two
//! messages must have the same canonical tokens ([`super::text`]). A sentence model can,
//! but it also finds "enable 2FA" and "disable 2FA", or `print(x)` and `print(X)`, nearly
//! identical. So before similarity counts, a reworded message must keep every **anchor**
//! (the semantic block is keyed by them):
//! - code spans, identifiers (with their case), URLs, options and quoted strings, verbatim;
//! - numbers (after number words: "two" is 2) and math symbols;
//! - negations, counted ("no", "not", "never", "without", "impossible", ...);
//! - words of the lists in `anchors.toml`: places, languages, products and technologies,
//!   units and currencies, times and seasons, times counted from now ("today"),
//!   quantities ("all", "single"), tasks on a given text ("summarize"), kinds of things
//!   (animals, food, colours, people), and words of opposite sense (enable/disable, ...);
//! - and, when a direction word links them (to, from, than, ...), the anchors' order.
//!
//! Two checks then compare the two messages pairwise ([`compatible`]):
//! - **names**: a word capitalized inside a sentence ("Pride and Prejudice", "Foundation")
//!   must appear in the other message, in any case;
//! - **one swapped word**: when the messages' content words are the same except for one
//!   short span on each side ("iced *tea*" / "iced *coffee*", "*painted*" / "*stole*"), it
//!   is an edit of the question, not a rewording, and never shares an answer.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::text::{fingerprint, Fingerprint, VERBATIM};
use super::thesaurus::{self, Relation};

/// What a stored entry keeps of its question for the pairwise checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Question {
    /// Canonical tokens, lowercased, verbatim marks dropped.
    pub words: Vec<String>,
    /// Content words in order (canonical tokens less function words).
    pub content: Vec<String>,
    /// Words capitalized inside a sentence, lowercased and canonical.
    pub names: Vec<String>,
}

/// A final user message as this guard reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    /// The anchors, as a string: equal anchors are a precondition for sharing.
    pub anchors: String,
    pub question: Question,
}

#[derive(Deserialize)]
struct AnchorFile {
    negations: Vec<String>,
    directions: Vec<String>,
    currency_symbols: HashMap<String, String>,
    lists: HashMap<String, Vec<String>>,
}

struct Anchors {
    function_words: HashSet<&'static str>,
    negations: HashSet<String>,
    directions: HashSet<String>,
    currency_symbols: HashMap<String, String>,
    /// Listed phrases (canonical tokens, and the list's name) by first token, longest first.
    phrases: HashMap<String, Vec<(Vec<String>, String)>>,
}

/// Function words: never content, whatever the message.
const FUNCTION_WORDS: &str = "how to what which who whom whose why when where i me my mine myself you your \
    we our us it its they them their he she him her is are was were be been being am do doe did done can could \
    should would will shall might must have has had this that these those there here and or but so if then than \
    as by up out any all some just really very get got way one anyone someone thing something anything in on at \
    of for with about from into onto";

fn anchors() -> &'static Anchors {
    static ANCHORS: OnceLock<Anchors> = OnceLock::new();
    ANCHORS.get_or_init(|| {
        let f: AnchorFile = toml::from_str(include_str!("anchors.toml")).expect("the bundled anchor lists parse");
        let mut phrases: HashMap<String, Vec<(Vec<String>, String)>> = HashMap::new();
        for (kind, list) in f.lists {
            for phrase in list {
                // Read the phrase as a message is read (plural, synonyms), so both sides agree.
                let tokens = fingerprint(&phrase).tokens;
                if let Some(first) = tokens.first() {
                    phrases.entry(first.clone()).or_default().push((tokens, kind.clone()));
                }
            }
        }
        for list in phrases.values_mut() {
            list.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.cmp(b)));
            list.dedup_by(|a, b| a.0 == b.0);
        }
        // Single words, matched as the guard's tokens are (lowercase; contractions are
        // already expanded to "not" there).
        Anchors {
            function_words: FUNCTION_WORDS.split_whitespace().collect(),
            negations: f.negations.into_iter().collect(),
            directions: f.directions.into_iter().collect(),
            currency_symbols: f.currency_symbols,
            phrases,
        }
    })
}

fn plain(t: &str) -> String {
    t.trim_start_matches(VERBATIM).to_lowercase()
}

/// Reads `message` (the final user message) whose guard fingerprint is `fp`.
pub fn read(message: &str, fp: &Fingerprint) -> Reading {
    let a = anchors();
    let tokens = &fp.tokens;
    let mut found: Vec<String> = Vec::new();
    // The kind of each anchor found: a list's name, "number", "code", ...
    let mut kinds: Vec<&str> = Vec::new();
    // Anchors found before each direction word.
    let mut directions: Vec<usize> = Vec::new();
    let mut i = 0;
    'tokens: while i < tokens.len() {
        let t = &tokens[i];
        if t.starts_with(VERBATIM) {
            found.push(t.clone());
            kinds.push("code");
        } else if t.chars().any(|c| c.is_ascii_digit()) || ROMAN.contains(&t.as_str()) {
            found.push(t.clone());
            kinds.push("number");
        } else if a.negations.contains(t) {
            found.push("\u{ac}".into());
            kinds.push("negation");
        } else if let Some(currency) = a.currency_symbols.get(t) {
            found.push(currency.clone());
            kinds.push("units");
        } else if t.chars().count() == 1 && "+-*/^%<>=#&|~".contains(t.as_str()) {
            found.push(t.clone());
            kinds.push("symbol");
        } else if a.directions.contains(t) && !(t == "to" && i > 0 && tokens[i - 1] == "how") {
            directions.push(found.len());
        }
        if let Some(list) = a.phrases.get(t) {
            for (p, kind) in list {
                if tokens[i..].starts_with(p) {
                    found.push(p.join(" "));
                    kinds.push(kind);
                    i += p.len();
                    continue 'tokens;
                }
            }
        }
        i += 1;
    }
    if looks_like_code(message) {
        // Code outside backticks: every capital counts (`FROM Users` is not `FROM users`),
        // and so does the kind of bracket (`[1, 2]` is a list, `(1, 2)` a tuple).
        for (i, raw) in message.split_whitespace().enumerate() {
            let w = raw.trim_matches(|c: char| !c.is_alphanumeric() && c != '_');
            if i > 0 && w.chars().any(char::is_uppercase) {
                found.push(format!("{VERBATIM}{w}"));
                kinds.push("code");
            }
        }
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if message.contains(open) || message.contains(close) {
                found.push(format!("{open}{close}"));
                kinds.push("symbol");
            }
        }
    }
    let mut anchors = {
        let mut sorted = found.clone();
        sorted.sort_unstable();
        sorted.join("\u{0}")
    };
    // A direction word between two anchors ("Celsius to Fahrenheit") makes their order
    // count; so do two numbers, code spans, units or languages ("30 degrees Celsius in
    // Fahrenheit", "divide 10 by 2", "English word for a French one").
    let mut ordered = |list: Vec<&String>| {
        anchors.push('\u{2}');
        anchors.push_str(&list.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\u{0}"));
    };
    if directions.iter().any(|&before| before > 0 && before < found.len()) {
        ordered(found.iter().collect());
    }
    let mut seen_kinds: Vec<&str> = kinds.clone();
    seen_kinds.sort_unstable();
    seen_kinds.dedup();
    for kind in seen_kinds.into_iter().filter(|k| matches!(*k, "number" | "code" | "units" | "languages")) {
        let of_kind: Vec<&String> = found.iter().zip(&kinds).filter(|(_, k)| **k == kind).map(|(f, _)| f).collect();
        if of_kind.iter().any(|f| *f != of_kind[0]) {
            ordered(of_kind);
        }
    }
    let words: Vec<String> = tokens.iter().map(|t| plain(t)).collect();
    // A closing "do" is the question's verb ("what does a dentist do"), not an auxiliary.
    let last = tokens.len().saturating_sub(1);
    let content = tokens
        .iter()
        .enumerate()
        .filter(|&(i, t)| {
            t.starts_with(VERBATIM)
                || (t.chars().any(char::is_alphanumeric) && !a.function_words.contains(t.as_str()))
                || (i == last && t == "do")
        })
        // Chinese and Japanese write without spaces: read them a character at a time, so
        // a changed word is a short swapped span, not a whole new sentence.
        .flat_map(|(_, t)| match t.chars().any(is_cjk) {
            true => t.chars().filter(|c| !c.is_whitespace()).map(String::from).collect::<Vec<_>>(),
            false => vec![t.clone()],
        })
        .collect();
    Reading { anchors, question: Question { words, content, names: names(message) } }
}

/// Roman numerals read as numbers ("World War II"); not `i` alone, which is the pronoun.
const ROMAN: [&str; 18] = [
    "ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii", "xiii", "xiv", "xv", "xvi", "xvii", "xviii", "xix",
    "xx", "xxi",
];

/// Whether a message holds code outside backticks: an assignment or comparison, a
/// statement end, brackets, a `*` between words (`SELECT * FROM`), or keywords in
/// capitals among lower-case words (a message all in capitals is shouting, not SQL).
fn looks_like_code(message: &str) -> bool {
    let keywords = message.split_whitespace().filter(|w| w.len() >= 3 && w.chars().all(|c| c.is_ascii_uppercase()));
    message.contains(['=', ';', '[', ']', '{', '}'])
        || message.contains(" * ")
        || (keywords.count() >= 2 && message.chars().any(char::is_lowercase))
}

/// Words capitalized inside a sentence (not first, not `I`), lowercased and canonical;
/// none when more than half the words inside sentences are capitalized (title case, all
/// caps: case says nothing there).
fn names(message: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut sentence_start = true;
    let (mut words, mut capitalized) = (0usize, 0usize);
    let mut quoted = false;
    for raw in message.split_whitespace() {
        if raw.starts_with('`') || raw.starts_with('"') || raw.starts_with('\'') {
            quoted = true;
        }
        let word: String = raw.trim_matches(|c: char| !c.is_alphanumeric()).to_string();
        let starts = sentence_start;
        sentence_start = raw.ends_with(['.', '!', '?', ':']);
        if quoted {
            if raw.ends_with('`') || raw.ends_with('"') || raw.ends_with('\'') || raw.ends_with(['.', '?', '!']) {
                quoted = false;
            }
            continue;
        }
        let Some(first) = word.chars().next() else { continue };
        if !first.is_alphabetic() || starts || word == "I" || word.starts_with("I'") {
            continue;
        }
        words += 1;
        if first.is_uppercase() {
            capitalized += 1;
            // Identifiers (`userId`, `map.get`) are anchors already, verbatim.
            let identifier = word.contains(['_', '.', '('])
                || (word.chars().skip(1).any(char::is_lowercase) && word.chars().skip(1).any(char::is_uppercase));
            if !identifier {
                out.extend(fingerprint(&word).tokens.into_iter().map(|t| plain(&t)));
            }
        }
    }
    if capitalized * 2 > words {
        return Vec::new();
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// Whether two messages with equal anchors may share an answer (see the module docs).
pub fn compatible(a: &Question, b: &Question) -> bool {
    matches!(judge(a, b), Verdict::Yes)
}

/// What the pairwise checks make of two messages with equal anchors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Yes,
    No,
    /// All else equal, one short span was swapped for another that WordNet does not relate
    /// ([`thesaurus`]): a synonym ("unclog" / "unblock") is a rewording, another word
    /// ("rebase" / "merge") a new question. The whole-sentence cosine cannot tell them
    /// apart (both are near 0.9), so the caller compares the two spans themselves.
    Swap(String, String),
}

/// Closed-class words the content check does not see, that change the question when both
/// messages use one and they disagree: whose thing it is ("my order" / "his order"), what
/// must, should or may be ("must my password" / "can my password"), and which way ("round
/// up" / "round down", "into" / "out of"). One side without any is a rewording.
const ROLES: [&[&[&str]]; 5] = [
    &[
        &["i", "me", "my", "mine", "myself"],
        &["you", "your", "yours"],
        &["he", "him", "his", "she", "her", "hers", "they", "them", "their", "theirs"],
        &["we", "us", "our", "ours"],
        &["someone", "somebody"],
    ],
    &[
        &["must", "have to", "has to", "need to", "needs to", "required"],
        &["should", "ought"],
        &["can", "could", "may", "able"],
    ],
    &[&["up"], &["down"], &["into", "onto"], &["out", "off", "away"], &["near"]],
    &[&["to", "towards", "into"], &["from"]],
    // The time of day ("lights on at 6 pm" / "6 in the morning"); one side alone is
    // usually context ("I was up all night, how do I ...").
    &[
        &[
            "am",
            "morning",
            "dawn",
            "sunrise",
            "a.m.",
            "matin",
            "morgens",
            "vormittag",
            "mattina",
            "mattino",
            "manhã",
            "ochtend",
            "rano",
            "утро",
            "madrugada",
        ],
        &["noon", "midday", "midi", "mittag", "mediodía", "mezzogiorno", "meio-dia"],
        &["afternoon", "après-midi", "nachmittag", "nachmittags", "pomeriggio", "middag", "tarde"],
        &[
            "evening",
            "dusk",
            "sunset",
            "soir",
            "soirée",
            "abend",
            "abends",
            "sera",
            "avond",
            "wieczór",
            "вечер",
            "wieczorem",
        ],
        &["night", "overnight", "nuit", "nacht", "nachts", "noche", "notte", "noite", "noc", "ночь", "nocy"],
        &["midnight", "minuit", "mitternacht", "medianoche", "mezzanotte", "meia-noite"],
        &["pm", "p.m."],
    ],
];

/// Which classes of one [`ROLES`] group `q` uses, as bits. A question's opening ("how do
/// *you*", "how *can* I") is generic and not counted.
fn roles(q: &Question, group: &[&[&str]]) -> u32 {
    const OPENERS: [&str; 7] = ["how", "what", "where", "when", "why", "which", "who"];
    const AUX: [&str; 8] = ["do", "does", "can", "could", "should", "would", "will", "doe"];
    let w = &q.words;
    let mut bits = 0;
    for i in 0..w.len() {
        let after = |k: usize, list: &[&str]| i >= k && list.contains(&w[i - k].as_str());
        if after(1, &OPENERS) || (after(1, &AUX) && after(2, &OPENERS)) {
            continue;
        }
        // "am" is the morning after a number ("6 am"), else the verb ("I am").
        if w[i] == "am" && !(i > 0 && w[i - 1].bytes().all(|c| c.is_ascii_digit())) {
            continue;
        }
        for (c, class) in group.iter().enumerate() {
            if class.iter().any(|p| p.split(' ').enumerate().all(|(k, part)| w.get(i + k).is_some_and(|t| t == part))) {
                bits |= 1 << c;
            }
        }
    }
    bits
}

/// `b` is `a` with a prefix that reverses it, in English or a Romance language
/// ("activate" / "deactivate", "activo" / "desactivo", "lock" / "unlock").
fn negated_prefix(a: &str, b: &str) -> bool {
    ["un", "dis", "de", "des", "in", "im", "non", "anti"]
        .iter()
        .any(|p| b.strip_prefix(p).is_some_and(|rest| rest == a && a.len() >= 3))
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3040}'..='\u{30ff}' | '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}')
}

/// [`compatible`], keeping the swapped spans for the caller to compare.
pub fn judge(a: &Question, b: &Question) -> Verdict {
    let has = |q: &Question, w: &String| q.words.contains(w);
    if !a.names.iter().all(|n| has(b, n)) || !b.names.iter().all(|n| has(a, n)) || !same_links(a, b) {
        return Verdict::No;
    }
    let disagree = |group: &[&[&str]]| {
        let (x, y) = (roles(a, group), roles(b, group));
        x != 0 && y != 0 && x & y == 0
    };
    if ROLES.iter().any(|g| disagree(g)) {
        return Verdict::No;
    }
    let conditional = |q: &Question| {
        q.words
            .iter()
            .enumerate()
            .any(|(i, w)| CONDITIONS.contains(&w.as_str()) && !(i > 0 && WHETHER.contains(&q.words[i - 1].as_str())))
    };
    if (!conditional(b) && own_condition(a, b)) || (!conditional(a) && own_condition(b, a)) {
        return Verdict::No;
    }
    let (x, y) = (&a.content, &b.content);
    let prefix = x.iter().zip(y).take_while(|(p, q)| p == q).count();
    let rest = x.len().min(y.len()) - prefix;
    let suffix = x.iter().rev().zip(y.iter().rev()).take(rest).take_while(|(p, q)| p == q).count();
    let (mid_x, mid_y) = (&x[prefix..x.len() - suffix], &y[prefix..y.len() - suffix]);
    // Spans that hold the same words (reordered), the same stems ("cancel", "cancelled"),
    // or share a word (a reordering with a change) are left to the similarity.
    let edit = !mid_x.is_empty() && !mid_y.is_empty() && mid_x.len() <= 2 && mid_y.len() <= 2;
    if !edit || same_words(mid_x, mid_y) || mid_x.iter().any(|w| mid_y.contains(w)) {
        return Verdict::Yes;
    }
    let span = |m: &[String]| m.iter().map(|t| plain(t)).collect::<Vec<_>>().join(" ");
    let (x, y) = (span(mid_x), span(mid_y));
    if negated_prefix(&x, &y) || negated_prefix(&y, &x) || x.chars().chain(y.chars()).any(is_cjk) {
        // A reversing prefix ("activo" / "desactivo") makes an opposite; a character or
        // two changed in Chinese or Japanese is another word, which neither WordNet nor
        // the model reads.
        return Verdict::No;
    }
    match thesaurus::relate(&x, &y) {
        Relation::Opposites | Relation::Strangers | Relation::Kin => Verdict::No,
        Relation::Synonyms => Verdict::Yes,
        Relation::Unrelated => Verdict::Swap(x, y),
    }
}

/// Words that link two things in one direction ("a list *to* a string"): swapping what
/// they link asks the opposite. Weaker ones ("in", "as") are left out: rewordings move them.
const LINKS: [&str; 18] = [
    "to", "into", "from", "than", "vs", "versus", "minus", "over", "per", "onto", "naar", "nach", "hasta", "vers",
    "van", "von", "desde", "para",
];

/// Words that open a condition. A condition only one message sets ("is ibuprofen safe *if
/// I have kidney disease*") narrows the question; a courtesy ("if possible") does not.
const CONDITIONS: [&str; 9] = ["if", "unless", "wenn", "falls", "als", "jeśli", "jezeli", "если", "eğer"];

/// Words a courtesy condition is made of ("if possible", "sorry if this is a dumb question").
const COURTESY: [&str; 20] = [
    "possible",
    "can",
    "could",
    "need",
    "needed",
    "necessary",
    "mind",
    "please",
    "help",
    "helps",
    "any",
    "applicable",
    "dumb",
    "stupid",
    "silly",
    "basic",
    "obvious",
    "question",
    "wrong",
    "place",
];

/// Verbs after which "if" asks whether ("check *if* the key exists"): not a condition.
const WHETHER: [&str; 16] = [
    "know",
    "check",
    "tell",
    "see",
    "ask",
    "wonder",
    "wondering",
    "determine",
    "verify",
    "test",
    "sure",
    "find",
    "out",
    "decide",
    "confirm",
    "detect",
];

/// Whether `q` sets a condition with a content word `other` does not have.
fn own_condition(q: &Question, other: &Question) -> bool {
    let has = |w: &str| other.content.iter().any(|t| plain(t) == w);
    q.words.iter().enumerate().any(|(i, w)| {
        CONDITIONS.contains(&w.as_str())
            && !(i > 0 && WHETHER.contains(&q.words[i - 1].as_str()))
            && q.words[i + 1..]
                .iter()
                .take(6)
                .any(|t| q.content.iter().any(|c| plain(c) == *t) && !COURTESY.contains(&t.as_str()) && !has(t))
    })
}

/// When the messages hold the same content words in another order, each pair a link word
/// joins in one ("convert list *to* string") must come in the same order in the other
/// (not "convert string to list").
fn same_links(a: &Question, b: &Question) -> bool {
    let (mut x, mut y) = (a.content.clone(), b.content.clone());
    x.sort_unstable();
    y.sort_unstable();
    if x != y || a.content == b.content {
        return true;
    }
    // A yes/no question about how two things relate ("is a square a rectangle") asks
    // the converse when they swap.
    let copula = |q: &Question| q.words.first().is_some_and(|w| matches!(w.as_str(), "is" | "are" | "was" | "were"));
    if copula(a) || copula(b) {
        return false;
    }
    let keeps_order = |q: &Question, other: &Question| {
        let plain_content: Vec<String> = q.content.iter().map(|t| plain(t)).collect();
        let pos_in_other = |w: &String| other.content.iter().position(|t| plain(t) == *w);
        let is_content = |w: &String| plain_content.contains(w);
        q.words.iter().enumerate().all(|(i, w)| {
            if !LINKS.contains(&w.as_str()) || (w == "to" && i > 0 && q.words[i - 1] == "how") {
                return true;
            }
            let before = q.words[..i].iter().rev().find(|w| is_content(w));
            let after = q.words[i + 1..].iter().find(|w| is_content(w));
            match (before.and_then(pos_in_other), after.and_then(pos_in_other)) {
                (Some(l), Some(r)) => l < r,
                _ => true,
            }
        })
    };
    keeps_order(a, b) && keeps_order(b, a)
}

/// Whether two short spans hold the same words, in any order, reading each word by its
/// first five letters.
fn same_words(a: &[String], b: &[String]) -> bool {
    let stems = |s: &[String]| {
        let mut v: Vec<String> = s.iter().map(|w| w.chars().take(5).collect()).collect();
        v.sort_unstable();
        v
    };
    stems(a) == stems(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Reading {
        read(s, &fingerprint(s))
    }

    fn may_share(a: &str, b: &str) -> bool {
        let (x, y) = (r(a), r(b));
        x.anchors == y.anchors && compatible(&x.question, &y.question)
    }

    #[test]
    fn rewordings_keep_their_anchors() {
        assert!(may_share("How do I reset my password?", "I forgot my password, how can I change it?"));
        assert!(may_share("What is the capital of France?", "Which city is the capital of france?"));
        assert!(may_share("How do I enable 2FA?", "What's the way to turn on 2FA on my account?"));
        assert!(may_share("In Python, how do I sort a list?", "How can a list be sorted in Python?"));
        assert!(may_share("Why doesn't oil mix with water?", "Why does oil not mix with water?"));
        assert!(may_share("Can dogs eat grapes?", "Are grapes safe for dogs to eat?"));
        assert!(may_share("Is a $500 gift taxable?", "Is a gift of 500 dollars taxable?"));
    }

    #[test]
    fn anchors_and_edits_keep_questions_apart() {
        assert!(!may_share("print(x)", "print(X)"));
        assert!(!may_share("Is a $500 gift taxable?", "Is a €500 gift taxable?"));
        assert!(!may_share("Can I claim £3000 in small claims?", "Can I claim $3000 in small claims?"));
        assert!(!may_share("Turn the porch light on at 6 pm", "Turn the porch light on at 6 am"));
        assert!(!may_share("Flights to Madrid leaving Friday morning?", "Flights to Madrid leaving Friday evening?"));
        assert!(!may_share("Is it safe to take ibuprofen?", "Is it safe to take ibuprofen if I have kidney disease?"));
        assert!(!may_share("How do I copy text to the clipboard?", "How do I copy text from the clipboard?"));
        assert!(!may_share("Quel temps fera-t-il demain à Lyon ?", "Quel temps fera-t-il après-demain à Lyon ?"));
        assert!(!may_share("What does print(x) output?", "What does print(X) output?"));
        assert!(!may_share("Why does myVar return undefined?", "Why does myvar return undefined?"));
        assert!(!may_share("How do I enable 2FA?", "How do I disable 2FA?"));
        assert!(!may_share("What is the capital of France?", "What is the capital of Spain?"));
        assert!(!may_share("Why is the sky blue?", "Why isn't the sky blue?"));
        assert!(!may_share("Convert Celsius to Fahrenheit", "Convert Fahrenheit to Celsius"));
        assert!(!may_share("What is 30 degrees Celsius in Fahrenheit?", "What is 30 degrees Fahrenheit in Celsius?"));
        assert!(!may_share("What is 2+2?", "What is 2+3?"));
        assert!(!may_share("Who wrote Pride and Prejudice?", "Who wrote Sense and Sensibility?"));
        assert!(!may_share("How do I say hello in French?", "How do I say goodbye in French?"));
        assert!(!may_share("How do I make iced tea?", "How do I make iced coffee?"));
        assert!(!may_share("Why do cats purr?", "Why do cats hiss?"));
        assert!(!may_share("How do I convert a list to a string?", "How do I convert a string to a list?"));
        assert!(!may_share("Is a mile longer than a kilometre?", "Is a kilometre longer than a mile?"));
        assert!(may_share("How do I convert a list to a string?", "How to convert a list to a string"));
        assert!(!may_share("When did World War I end?", "When did World War II end?"));
        assert!(may_share("What is the capital of Australia?", "WHAT IS THE CAPITAL OF AUSTRALIA?"));
        assert!(!may_share("Fix this: SELECT * FROM Users", "Fix this: SELECT * FROM users"));
        assert!(may_share("Fix this: SELECT * FROM Users", "Please fix this: SELECT * FROM Users"));
        assert!(!may_share("What is the type of x in x = [1, 2]?", "What is the type of x in x = (1, 2)?"));
        assert!(!may_share("What's the weather like in Boston today?", "What's the weather like in Boston tomorrow?"));
        assert!(!may_share("How do I remove a single item from my cart?", "How do I remove all items from my cart?"));
        assert!(!may_share("Explain this SQL query: `SELECT 1`", "Optimize this SQL query: `SELECT 1`"));
        assert!(!may_share("Is a square a rectangle?", "Is a rectangle a square?"));
        assert!(!may_share("How do I cancel my order?", "How do I cancel his order?"));
        assert!(!may_share("Must my password contain a digit?", "Can my password contain a digit?"));
        assert!(!may_share("How do I round up to the nearest integer?", "How do I round down to the nearest integer?"));
        assert!(!may_share("怎么开通网上银行？", "怎么注销网上银行？"));
        assert!(!may_share("¿Cómo activo mi tarjeta?", "¿Cómo desactivo mi tarjeta?"));
        assert!(may_share("How do you cancel an order?", "How can I cancel my order?"));
        assert!(!may_share("How do I zoom in on a PDF?", "How do I zoom out on a PDF?"));
        assert!(!may_share("Will the stock market crash this year?", "Did the stock market crash this year?"));
        assert!(!may_share("Is the tire pressure too high?", "Is the tire pressure too low?"));
        assert!(may_share("What is the simplest way to peel garlic?", "What is the easiest way to peel garlic?"));
    }
}
