//! Which swapped words mean the same and which are opposites, for the guard's one-span
//! check ([`super::anchor::judge`]).
//!
//! A sentence model reads single words out of context poorly: "simplest" / "easiest" and
//! "tire pressure too *high*" / "too *low*" score alike. WordNet knows both relations, so
//! it is asked first: opposite senses never share an answer, close senses do, and only
//! words it does not relate are left to the model. The data (`thesaurus.txt.gz`, built by
//! `scripts/thesaurus.py` from WordNet 3.1, under the WordNet licence in
//! `thesaurus-LICENSE`) is read once, on first use.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::sync::OnceLock;

/// How WordNet relates two swapped spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A frequent sense of one is a frequent sense of the other, or closely tied to it.
    Synonyms,
    /// Some sense of one is the opposite of some sense of the other.
    Opposites,
    /// Nothing known: the model decides.
    Unrelated,
    /// Neither is a dictionary word, and they are not one slip apart: names of things
    /// (drugs, products, libraries) that look alike and are different things.
    Strangers,
    /// Two kinds of one thing ("atorvastatin" / "rosuvastatin", "violin" / "cello"):
    /// frequent senses that share a hypernym and nothing closer.
    Kin,
}

/// Senses of a word this many deep (per part of speech, most frequent first) count for
/// synonymy; rarer senses ("key" as a small island) would make too much alike.
const FREQUENT_SENSES: usize = 3;

/// The decompressed data, kept as text; lines are found by word or sense and their ids
/// read when asked (a few MB, where parsed vectors took tens).
struct Thesaurus {
    /// A word's senses: `pos:id,id;pos:id` (per part of speech, most frequent first).
    words: HashMap<&'static str, &'static str>,
    /// A sense's close relations (similar to, verb group, also see, derivation), its
    /// antonyms and the kinds it is one of, each `id,id` or `-`.
    senses: HashMap<u32, (&'static str, &'static str, &'static str)>,
}

fn thesaurus() -> &'static Thesaurus {
    static T: OnceLock<Thesaurus> = OnceLock::new();
    T.get_or_init(|| {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&include_bytes!("thesaurus.txt.gz")[..])
            .read_to_string(&mut text)
            .expect("the bundled thesaurus decompresses");
        let text: &'static str = Box::leak(text.into_boxed_str());
        let mut t = Thesaurus { words: HashMap::new(), senses: HashMap::new() };
        for line in text.lines() {
            let mut f = line.split(' ');
            match (f.next(), f.next(), f.next(), f.next(), f.next()) {
                (Some("w"), Some(word), Some(parts), None, None) => {
                    t.words.insert(word, parts);
                }
                (Some("s"), Some(id), Some(close), Some(antonyms), Some(kinds)) => {
                    if let Ok(id) = id.parse() {
                        t.senses.insert(id, (close, antonyms, kinds));
                    }
                }
                _ => {}
            }
        }
        t
    })
}

fn ids(list: &str) -> impl Iterator<Item = u32> + '_ {
    list.split(',').filter_map(|i| i.parse().ok())
}

impl Thesaurus {
    fn close(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.senses.get(&id).into_iter().flat_map(|(c, _, _)| ids(c))
    }

    fn antonyms(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.senses.get(&id).into_iter().flat_map(|(_, a, _)| ids(a))
    }

    /// The kinds (hypernyms) noun sense `id` is one of, in their own id space.
    fn kinds(&self, id: u32) -> impl Iterator<Item = u32> + '_ {
        self.senses.get(&id).into_iter().flat_map(|(_, _, k)| ids(k))
    }
}

/// Loads the data now rather than on the first swapped word (a few tens of ms).
pub fn warm() {
    thesaurus();
}

/// How WordNet relates spans `x` and `y` (the guard's canonical tokens, space-separated).
pub fn relate(x: &str, y: &str) -> Relation {
    let t = thesaurus();
    let (xs, ys) = (senses(t, x), senses(t, y));
    if xs.is_empty() != ys.is_empty() && is_slip(x, y) {
        return Relation::Synonyms;
    }
    if xs.is_empty() && ys.is_empty() && !x.contains(' ') && !y.contains(' ') && x.is_ascii() && y.is_ascii() {
        return if strsim::osa_distance(x, y) <= 1 {
            Relation::Synonyms
        } else if abbreviates(x, y) || abbreviates(y, x) {
            Relation::Unrelated
        } else {
            Relation::Strangers
        };
    }
    if xs.is_empty() || ys.is_empty() {
        // One dictionary word and one name of about its length ("atorvastatin" /
        // "rosuvastatin"): another thing of the same sort. Short names and abbreviations
        // ("js" / "javascript") are left to the model.
        let (lx, ly) = (x.chars().count(), y.chars().count());
        let alike = !x.contains(' ') && !y.contains(' ') && lx.min(ly) >= 6 && lx.abs_diff(ly) <= 2;
        return if alike { Relation::Strangers } else { Relation::Unrelated };
    }
    let all = |s: &[Vec<u32>]| s.iter().flatten().copied().collect::<HashSet<u32>>();
    let (all_x, all_y) = (all(&xs), all(&ys));
    let near = |set: &HashSet<u32>| -> HashSet<u32> { set.iter().flat_map(|&s| t.close(s).chain([s])).collect() };
    let opposite = |a: &HashSet<u32>, b: &HashSet<u32>| {
        let b = near(b);
        near(a).iter().flat_map(|&s| t.antonyms(s)).any(|s| b.contains(&s))
    };
    if opposite(&all_x, &all_y) || opposite(&all_y, &all_x) {
        return Relation::Opposites;
    }
    let frequent =
        |s: &[Vec<u32>]| s.iter().flat_map(|part| part.iter().take(FREQUENT_SENSES)).copied().collect::<HashSet<u32>>();
    let (fx, fy) = (frequent(&xs), frequent(&ys));
    let tied =
        |a: &HashSet<u32>, b: &HashSet<u32>| a.iter().any(|&s| b.contains(&s) || t.close(s).any(|r| b.contains(&r)));
    if tied(&fx, &fy) || tied(&fy, &fx) {
        return Relation::Synonyms;
    }
    let kinds = |set: &HashSet<u32>| set.iter().flat_map(|&s| t.kinds(s)).collect::<HashSet<u32>>();
    if !kinds(&fx).is_disjoint(&kinds(&fy)) {
        Relation::Kin
    } else {
        Relation::Unrelated
    }
}

/// `short` could be written for `long`: its letters in order, from the same first letter
/// ("js" / "javascript", "postgres" / "postgresql").
fn abbreviates(short: &str, long: &str) -> bool {
    let mut rest = long.chars();
    short.len() < long.len()
        && short.chars().next() == long.chars().next()
        && short.chars().all(|c| rest.any(|l| l == c))
}

/// A typing slip: one word, one letter added, dropped, changed or two swapped ("casue" /
/// "cause"), where only one of the two is a dictionary word (so "cat" / "car" is not).
fn is_slip(x: &str, y: &str) -> bool {
    !x.contains(' ')
        && !y.contains(' ')
        && x.chars().count().min(y.chars().count()) >= 4
        && strsim::osa_distance(x, y) == 1
}

/// The senses of every dictionary form `span` may be: the guard spells a consonant's `y`
/// as `ie` ("easie"), and inflections ("simplest", "stopped", "clogged") are undone as
/// WordNet's own morphology does, by suffix.
fn senses(t: &Thesaurus, span: &str) -> Vec<Vec<u32>> {
    let span = span.replace(' ', "_");
    let mut forms = vec![span.clone()];
    if let Some(stem) = span.strip_suffix("ie") {
        forms.push(format!("{stem}y"));
    }
    const SUFFIXES: [(&str, &str); 19] = [
        ("s", ""),
        ("ies", "y"),
        ("es", ""),
        ("es", "e"),
        ("ed", ""),
        ("ed", "e"),
        ("ing", ""),
        ("ing", "e"),
        ("er", ""),
        ("er", "e"),
        ("est", ""),
        ("est", "e"),
        ("ier", "y"),
        ("iest", "y"),
        ("ie", "y"),
        ("ier", "ie"),
        ("iest", "ie"),
        ("men", "man"),
        ("ly", ""),
    ];
    for form in forms.clone() {
        for (suffix, replacement) in SUFFIXES {
            if let Some(stem) = form.strip_suffix(suffix) {
                if stem.len() >= 2 {
                    forms.push(format!("{stem}{replacement}"));
                    // "stopped", "bigger": a doubled final consonant.
                    let b = stem.as_bytes();
                    if replacement.is_empty() && b.len() >= 3 && b[b.len() - 1] == b[b.len() - 2] {
                        forms.push(stem[..stem.len() - 1].to_string());
                    }
                }
            }
        }
    }
    forms.sort_unstable();
    forms.dedup();
    forms
        .iter()
        .filter_map(|f| t.words.get(f.as_str()))
        .flat_map(|parts| parts.split(';'))
        .map(|part| ids(part.split_once(':').map_or("", |(_, s)| s)).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synonyms_opposites_and_strangers() {
        for (x, y) in [("simplest", "easiest"), ("construct", "build"), ("quit", "stop"), ("clever", "smart")] {
            assert_eq!(relate(x, y), Relation::Synonyms, "{x} / {y}");
        }
        for (x, y) in [("high", "low"), ("hottest", "coldest"), ("enable", "disable"), ("shallowest", "deepest")] {
            assert_eq!(relate(x, y), Relation::Opposites, "{x} / {y}");
        }
        for (x, y) in [("rebase", "merge"), ("bake", "boil"), ("earn", "do"), ("js", "javascript")] {
            assert_eq!(relate(x, y), Relation::Unrelated, "{x} / {y}");
        }
        for (x, y) in [("tea", "coffee"), ("violin", "cello"), ("lion", "tiger")] {
            assert_eq!(relate(x, y), Relation::Kin, "{x} / {y}");
        }
        for (x, y) in [("atorvastatin", "rosuvastatin"), ("kubectl", "kubeadm")] {
            assert_eq!(relate(x, y), Relation::Strangers, "{x} / {y}");
        }
    }

    #[test]
    fn the_guards_spelling_and_inflections_are_read() {
        assert_eq!(relate("easie", "simple"), Relation::Synonyms);
        assert_eq!(relate("casue", "cause"), Relation::Synonyms);
        assert_eq!(relate("musuem", "museum"), Relation::Synonyms);
        assert_eq!(relate("cart", "card"), Relation::Unrelated);
        assert_eq!(relate("cut down", "reduce"), Relation::Synonyms);
        assert_eq!(relate("stopped", "quit"), Relation::Synonyms);
        assert_eq!(relate("bigger", "larger"), Relation::Synonyms);
    }
}
