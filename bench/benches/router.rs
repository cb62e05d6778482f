//! analyze + score + tier + select for one request, by request size, with each scorer.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kestrel_bench::{conversation, short_request};
use kestrel_router::router::{EveryProvider, HeuristicScorer, LearnedScorer, Router};
use kestrel_router::Catalog;

fn route(c: &mut Criterion) {
    let heuristic = Router::new(Catalog::builtin()).with_scorer(HeuristicScorer);
    let learned = Router::new(Catalog::builtin()).with_scorer(LearnedScorer::default());
    for (group, router) in [("route", heuristic), ("route_learned", learned)] {
        by_size(c, group, &router);
    }
}

fn by_size(c: &mut Criterion, group: &str, router: &Router) {
    let mut group = c.benchmark_group(group);
    let mut cases = vec![("200B".to_string(), short_request())];
    for size in [2_000usize, 20_000, 200_000] {
        cases.push((format!("{}B", size), conversation(size)));
    }
    for (name, req) in &cases {
        let bytes: usize = req.messages.iter().flat_map(|m| m.texts()).map(str::len).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(BenchmarkId::from_parameter(name), req, |b, req| {
            b.iter(|| router.route(std::hint::black_box(req), &EveryProvider).unwrap())
        });
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(50).measurement_time(std::time::Duration::from_secs(3));
    targets = route
}
criterion_main!(benches);
