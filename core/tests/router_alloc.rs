//! Routing's allocations, counted: a decision owns its reasons, its plan and the model
//! name as written, and nothing else may allocate on the way (no formatted reasons, no
//! per-request date strings, no scratch vectors over the catalog).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use kestrel_router::catalog::Catalog;
use kestrel_router::router::{EveryProvider, Router};
use kestrel_router::types::{ChatRequest, Message};

struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Ordering::Relaxed) {
            ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_of(router: &Router, req: &ChatRequest) -> usize {
    // Warm up once-per-process state (keyword automaton, catalog indexes).
    router.route(req, &EveryProvider).unwrap();
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.store(true, Ordering::Relaxed);
    let d = router.route(req, &EveryProvider).unwrap();
    COUNTING.store(false, Ordering::Relaxed);
    assert!(!d.plan.is_empty());
    ALLOCATIONS.load(Ordering::Relaxed)
}

#[test]
fn a_decision_allocates_only_what_it_owns() {
    let router = Router::new(Catalog::builtin()).with_today("2026-12-04").unwrap();
    let requests = [
        ChatRequest::new("gpt-5.4", vec![Message::user("What's the capital of Peru?")]),
        ChatRequest::new(
            "gpt-5.4",
            vec![
                Message::system("You are a senior backend engineer."),
                Message::user("Our checkout times out under load. Compare a queue with synchronous calls."),
            ],
        ),
        ChatRequest::new("claude-sonnet-4-6", vec![Message::user("Prove that the square root of 2 is irrational.")]),
    ];
    // Models with no shutdown date in sight: a lifecycle warning is a sentence worth
    // formatting. Each decision owns the model name, the reasons and the plan.
    for req in &requests {
        let n = allocations_of(&router, req);
        assert!(n <= 3, "{n} allocations for {:?}", req.messages);
    }
}
