//! Where routing time goes: analyze vs score vs select (rough, for profiling only).
use kestrel_router::router::{Analyzer, EveryProvider, HeuristicScorer, Router, Scorer};
use kestrel_router::Catalog;
use std::time::Instant;

fn main() {
    let req = if std::env::args().nth(1).as_deref() == Some("short") {
        kestrel_bench::short_request()
    } else {
        kestrel_bench::conversation(20_000)
    };
    let a = Analyzer::new();
    let router = Router::new(Catalog::builtin());
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(a.analyze(std::hint::black_box(&req)));
    }
    println!("analyze: {:?}", t.elapsed() / n);
    let f = a.analyze(&req);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(HeuristicScorer.score(std::hint::black_box(&f)));
    }
    println!("score: {:?}", t.elapsed() / n);
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(router.route(std::hint::black_box(&req), &EveryProvider).unwrap());
    }
    println!("route: {:?}", t.elapsed() / n);
}
