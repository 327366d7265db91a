//! The model's heap: instances that refer to each other by [`ObjectId`],
//! and a tracing collector over them — mark everything reachable from a
//! set of roots, as a cycle collector does, then free the rest and report
//! the cycles among it.

use super::instance::Instance;
use super::value::ObjectId;

/// Objects, each at an [`ObjectId`]; freed ids are reused.
#[derive(Debug, Default)]
pub struct Heap {
    objects: Vec<Option<Instance>>,
    free: Vec<u32>,
    live: usize,
}

/// What one mark phase found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    /// Objects reachable from the roots.
    pub reachable: usize,
    /// Heap blocks of those objects (object blocks and dict tables) the
    /// collector had to visit.
    pub blocks_visited: usize,
    /// References followed.
    pub edges_followed: usize,
    /// Objects not reachable from the roots, by id.
    pub unreachable: Vec<ObjectId>,
}

/// What one collection freed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// The mark phase's findings.
    pub trace: Trace,
    /// Reference cycles among the unreachable objects (strongly connected
    /// groups of two or more, or an object that refers to itself): what
    /// reference counting alone could never free.
    pub cycles: usize,
    /// Objects in those cycles.
    pub objects_in_cycles: usize,
    /// Objects freed.
    pub freed: usize,
}

impl Heap {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty heap with room for `capacity` objects.
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            objects: Vec::with_capacity(capacity),
            ..Self::default()
        }
    }

    /// Puts `instance` on the heap.
    ///
    /// # Panics
    ///
    /// When the heap already holds 2^32 objects.
    pub fn insert(&mut self, instance: Instance) -> ObjectId {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            self.objects[index as usize] = Some(instance);
            return ObjectId::from_raw(index);
        }
        let index = u32::try_from(self.objects.len()).expect("at most 2^32 objects per heap");
        self.objects.push(Some(instance));
        ObjectId::from_raw(index)
    }

    /// The object at `id`, if it is live.
    pub fn get(&self, id: ObjectId) -> Option<&Instance> {
        self.objects.get(id.index())?.as_ref()
    }

    /// The object at `id`, writable.
    pub fn get_mut(&mut self, id: ObjectId) -> Option<&mut Instance> {
        self.objects.get_mut(id.index())?.as_mut()
    }

    /// Live objects.
    pub fn len(&self) -> usize {
        self.live
    }

    /// True when no object is live.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Frees the object at `id` (references to it dangle: [`Heap::get`]
    /// then answers `None`).
    pub fn remove(&mut self, id: ObjectId) -> Option<Instance> {
        let taken = self.objects.get_mut(id.index())?.take()?;
        self.live -= 1;
        self.free.push(id.raw());
        Some(taken)
    }

    /// The mark phase: follows references from `roots` with an explicit
    /// stack (no recursion, however deep the graph), marking each object
    /// once, and lists the objects it never reached.
    pub fn trace(&self, roots: &[ObjectId]) -> Trace {
        let mut marked = vec![false; self.objects.len()];
        let mut stack: Vec<ObjectId> = Vec::new();
        let mut reachable = 0;
        let mut blocks_visited = 0;
        let mut edges_followed = 0;
        let visit = |id: ObjectId, marked: &mut Vec<bool>, stack: &mut Vec<ObjectId>| {
            if self.get(id).is_some() && !marked[id.index()] {
                marked[id.index()] = true;
                stack.push(id);
            }
        };
        for &root in roots {
            visit(root, &mut marked, &mut stack);
        }
        while let Some(id) = stack.pop() {
            let Some(object) = self.get(id) else { continue };
            reachable += 1;
            blocks_visited += object.heap_blocks();
            for next in object.references() {
                edges_followed += 1;
                visit(next, &mut marked, &mut stack);
            }
        }
        let unreachable = self
            .objects
            .iter()
            .enumerate()
            .filter(|(i, o)| o.is_some() && !marked[*i])
            .map(|(i, _)| ObjectId::from_raw(i as u32))
            .collect();
        Trace {
            reachable,
            blocks_visited,
            edges_followed,
            unreachable,
        }
    }

    /// A full collection: marks from `roots`, counts the cycles among what
    /// it did not reach, and frees all of that.
    pub fn collect(&mut self, roots: &[ObjectId]) -> Collection {
        let trace = self.trace(roots);
        let (cycles, objects_in_cycles) = self.cycles_among(&trace.unreachable);
        let mut freed = 0;
        for &id in &trace.unreachable {
            if self.remove(id).is_some() {
                freed += 1;
            }
        }
        Collection {
            trace,
            cycles,
            objects_in_cycles,
            freed,
        }
    }

    /// Strongly connected components of the subgraph on `ids` (Tarjan's
    /// algorithm, iterative): how many are cycles, and how many objects
    /// they hold.
    fn cycles_among(&self, ids: &[ObjectId]) -> (usize, usize) {
        const UNSEEN: usize = usize::MAX;
        let in_set: std::collections::HashMap<ObjectId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let edges: Vec<Vec<usize>> = ids
            .iter()
            .map(|id| {
                self.get(*id)
                    .map(|o| {
                        o.references()
                            .filter_map(|r| in_set.get(&r).copied())
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect();
        let n = ids.len();
        let (mut index, mut low) = (vec![UNSEEN; n], vec![0; n]);
        let mut on_stack = vec![false; n];
        let mut stack = Vec::new();
        let mut next_index = 0;
        let (mut cycles, mut in_cycles) = (0, 0);
        for start in 0..n {
            if index[start] != UNSEEN {
                continue;
            }
            // (node, position in its edge list)
            let mut work = vec![(start, 0usize)];
            index[start] = next_index;
            low[start] = next_index;
            next_index += 1;
            stack.push(start);
            on_stack[start] = true;
            while let Some(&mut (node, ref mut edge)) = work.last_mut() {
                if let Some(&next) = edges[node].get(*edge) {
                    *edge += 1;
                    if index[next] == UNSEEN {
                        index[next] = next_index;
                        low[next] = next_index;
                        next_index += 1;
                        stack.push(next);
                        on_stack[next] = true;
                        work.push((next, 0));
                    } else if on_stack[next] {
                        low[node] = low[node].min(index[next]);
                    }
                    continue;
                }
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    low[parent] = low[parent].min(low[node]);
                }
                if low[node] == index[node] {
                    let mut size = 0;
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        size += 1;
                        if member == node {
                            break;
                        }
                    }
                    let self_loop = edges[node].contains(&node);
                    if size > 1 || self_loop {
                        cycles += 1;
                        in_cycles += size;
                    }
                }
            }
        }
        (cycles, in_cycles)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Class, Str, Value};

    fn node_class() -> Class {
        Class::builder("Node")
            .slots(["next", "value"])
            .build()
            .unwrap()
    }

    fn node(heap: &mut Heap, class: &Class, value: i64) -> ObjectId {
        let mut n = Instance::new(class);
        n.set_attr(&Str::intern("value"), Value::Int(value))
            .unwrap();
        heap.insert(n)
    }

    fn link(heap: &mut Heap, from: ObjectId, to: ObjectId) {
        heap.get_mut(from)
            .unwrap()
            .set_attr(&Str::intern("next"), Value::Object(to))
            .unwrap();
    }

    #[test]
    fn marks_what_the_roots_reach() {
        let class = node_class();
        let mut heap = Heap::new();
        let ids: Vec<ObjectId> = (0..5).map(|i| node(&mut heap, &class, i)).collect();
        link(&mut heap, ids[0], ids[1]);
        link(&mut heap, ids[1], ids[2]);
        // ids[3] and ids[4] are not reachable from ids[0].
        let trace = heap.trace(&[ids[0]]);
        assert_eq!(trace.reachable, 3);
        assert_eq!(trace.edges_followed, 2);
        assert_eq!(trace.blocks_visited, 3);
        assert_eq!(trace.unreachable, vec![ids[3], ids[4]]);
    }

    #[test]
    fn finds_and_frees_unreachable_cycles() {
        let class = node_class();
        let mut heap = Heap::new();
        let root = node(&mut heap, &class, 0);
        // An unreachable 3-cycle, a self-loop, and a plain unreachable chain.
        let (a, b, c) = (
            node(&mut heap, &class, 1),
            node(&mut heap, &class, 2),
            node(&mut heap, &class, 3),
        );
        link(&mut heap, a, b);
        link(&mut heap, b, c);
        link(&mut heap, c, a);
        let selfish = node(&mut heap, &class, 4);
        link(&mut heap, selfish, selfish);
        let (d, e) = (node(&mut heap, &class, 5), node(&mut heap, &class, 6));
        link(&mut heap, d, e);
        let collection = heap.collect(&[root]);
        assert_eq!(collection.cycles, 2);
        assert_eq!(collection.objects_in_cycles, 4);
        assert_eq!(collection.freed, 6);
        assert_eq!(heap.len(), 1);
        assert!(heap.get(a).is_none() && heap.get(root).is_some());
    }

    #[test]
    fn a_reachable_cycle_is_kept() {
        let class = node_class();
        let mut heap = Heap::new();
        let (a, b) = (node(&mut heap, &class, 1), node(&mut heap, &class, 2));
        link(&mut heap, a, b);
        link(&mut heap, b, a);
        let collection = heap.collect(&[a]);
        assert_eq!((collection.freed, collection.cycles, heap.len()), (0, 0, 2));
        // Dropping the root makes the whole cycle garbage.
        let collection = heap.collect(&[]);
        assert_eq!((collection.freed, collection.cycles), (2, 1));
    }

    #[test]
    fn tables_count_as_blocks_and_inline_values_do_not() {
        let mut heap = Heap::new();
        let mut visited = |class: &Class, vars: bool| {
            let empty = heap.insert(Instance::new(class));
            let mut full = Instance::new(class);
            full.set_attr(&Str::intern("x"), Value::Object(empty))
                .unwrap();
            if vars {
                full.vars().unwrap();
            }
            let full = heap.insert(full);
            let trace = heap.trace(&[full]);
            (
                heap.trace(&[empty]).blocks_visited,
                trace.blocks_visited,
                trace.reachable,
            )
        };
        let table = Class::builder("T").table().build().unwrap();
        let dict = Class::builder("D").build().unwrap();
        // A table: its entries and index are two more blocks once it holds anything.
        assert_eq!(visited(&table, false), (1, 4, 2));
        // A dict instance's values are in its own block, until it materializes a
        // table (its box, entries and index).
        assert_eq!(visited(&dict, false), (1, 2, 2));
        assert_eq!(visited(&dict, true), (1, 5, 2));
    }

    #[test]
    fn deep_chains_do_not_overflow_the_stack() {
        let class = node_class();
        let mut heap = Heap::with_capacity(200_000);
        let ids: Vec<ObjectId> = (0..200_000).map(|i| node(&mut heap, &class, i)).collect();
        for pair in ids.windows(2) {
            link(&mut heap, pair[1], pair[0]);
        }
        link(&mut heap, ids[0], ids[199_999]);
        // One 200,000-object cycle, unreachable.
        let collection = heap.collect(&[]);
        assert_eq!(
            (collection.cycles, collection.objects_in_cycles),
            (1, 200_000)
        );
    }

    #[test]
    fn ids_are_reused_after_removal() {
        let class = node_class();
        let mut heap = Heap::new();
        let a = node(&mut heap, &class, 1);
        heap.remove(a).unwrap();
        let b = node(&mut heap, &class, 2);
        assert_eq!(a, b);
        assert_eq!(heap.len(), 1);
    }
}
