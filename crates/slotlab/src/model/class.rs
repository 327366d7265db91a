//! Classes: names, bases, class variables, `__slots__`, and the instance
//! layout that follows from them, decided by CPython 3.11's rules.

mod builder;

pub use builder::ClassBuilder;

use super::Layout;
use super::block::{BlockLayout, DictKind};
use super::dict::FxIndexMap;
use super::keys::SharedKeys;
use super::value::{Str, Value};
use std::fmt;

/// A class: immutable once built, and immortal: it lives until the process
/// ends, so instances point at it without a reference count (a locked
/// increment and decrement per instance cost 15% of building the lesson's
/// readings). Classes are few and instances many; a program that builds
/// classes in an unbounded loop would leak them. Copying a `Class` copies a
/// pointer.
///
/// Built with [`Class::builder`]. A class that declares no `__slots__`
/// gives its instances a `__dict__`: by default as CPython 3.11 does (the
/// dict layout: keys shared by the class, values in each instance's block
/// until something makes the instance a dict of its own), or, with
/// [`ClassBuilder::table`], as a hash table per instance (the table
/// layout). One that declares them gets fixed, indexed storage (the slots
/// layout), plus a `__dict__` only if `"__dict__"` is among its slots or a
/// base already has one.
///
/// ```
/// use slotlab::model::{Class, Instance, Str, Value};
///
/// let reading = Class::builder("Reading").slots(["timestamp", "value"]).build()?;
/// let mut r = Instance::new(&reading);
/// r.set_attr(&Str::new("value"), Value::Float(0.5))?;
/// assert_eq!(r.get_attr("value")?, Value::Float(0.5));
/// assert_eq!(
///     r.set_attr(&Str::new("foo"), Value::Int(1)).unwrap_err().to_string(),
///     "AttributeError: 'Reading' object has no attribute 'foo'"
/// );
/// # Ok::<(), slotlab::model::ModelError>(())
/// ```
#[derive(Clone, Copy)]
pub struct Class(&'static ClassData);

/// What an attribute name resolves to on a class (CPython's type lookup).
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    /// A slot (member descriptor): index into the instance's slot storage.
    Slot(usize),
    /// A class variable (a plain value: a non-data descriptor).
    ClassVar(Value),
}

struct ClassData {
    name: String,
    bases: Vec<Class>,
    /// The MRO after the class itself, without `object`.
    ancestors: Vec<Class>,
    /// The base whose layout this class extends (CPython's `tp_base`).
    best_base: Option<Class>,
    /// Own class variables, in definition order.
    namespace: FxIndexMap<Str, Value>,
    /// Own slots (mangled, sorted), without `__dict__`/`__weakref__`.
    own_slots: Vec<Str>,
    /// Index of the first own slot in the instance's slot storage.
    own_slots_start: usize,
    /// Whether `__slots__` was declared.
    declares_slots: bool,
    /// Every slot of an instance, inherited first.
    slot_names: Vec<Str>,
    has_dict: bool,
    /// How the `__dict__` is held, if there is one.
    dict_kind: DictKind,
    /// The keys its instances share (a dict-layout class).
    shared_keys: Option<SharedKeys>,
    has_weakref: bool,
    /// Every name the class answers, resolved along the MRO.
    attrs: FxIndexMap<Str, Attr>,
    /// Each name of `attrs`, in order, as the address and length of its
    /// text: an interned name is found by comparing pairs in one array,
    /// without reading each key's header.
    identities: Box<[(usize, usize)]>,
    block: BlockLayout,
}

impl Class {
    /// Starts declaring a class named `name` (no bases: it derives from
    /// `object`; no `__slots__`: its instances get a `__dict__`).
    pub fn builder(name: &str) -> ClassBuilder {
        ClassBuilder::new(name)
    }

    /// The class name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The direct bases, in declaration order.
    pub fn bases(&self) -> &[Class] {
        &self.0.bases
    }

    /// The method resolution order's names, this class first, `object` last.
    pub fn mro_names(&self) -> Vec<&str> {
        std::iter::once(self.name())
            .chain(self.0.ancestors.iter().map(Class::name))
            .chain(std::iter::once("object"))
            .collect()
    }

    /// Whether instances have a `__dict__`.
    pub fn has_dict(&self) -> bool {
        self.0.has_dict
    }

    /// How instances hold their attributes: [`Layout::Slots`] when they
    /// have no `__dict__`, else [`Layout::Dict`] or [`Layout::Table`].
    pub fn layout(&self) -> Layout {
        match self.0.dict_kind {
            DictKind::None => Layout::Slots,
            DictKind::Table => Layout::Table,
            DictKind::Values => Layout::Dict,
        }
    }

    /// The keys the class's instances share, in index order (empty unless
    /// the class has the dict layout).
    pub fn shared_keys(&self) -> Vec<Str> {
        self.0
            .shared_keys
            .as_ref()
            .map(|k| k.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The shared keys' room: keys held and keys that may still be added
    /// (`None` unless the class has the dict layout).
    pub fn shared_keys_room(&self) -> Option<(usize, usize)> {
        self.0.shared_keys.as_ref().map(SharedKeys::counts)
    }

    /// Whether instances support weak references (tracked for CPython's
    /// `__weakref__` rules; slotlab has no weak references).
    pub fn has_weakref(&self) -> bool {
        self.0.has_weakref
    }

    /// Whether this class itself declared `__slots__`.
    pub fn declares_slots(&self) -> bool {
        self.0.declares_slots
    }

    /// Every slot an instance has, in storage order (inherited first; each
    /// class's own slots sorted, as CPython sorts them).
    pub fn slot_names(&self) -> &[Str] {
        &self.0.slot_names
    }

    /// The slot storage index a name resolves to, if it is a slot: what a
    /// call site can cache instead of looking the name up every time.
    pub fn slot_index(&self, name: &str) -> Option<usize> {
        match self.lookup(name) {
            Some(Attr::Slot(i)) => Some(*i),
            _ => None,
        }
    }

    /// A class variable visible from this class (own or inherited).
    pub fn class_var(&self, name: &str) -> Option<&Value> {
        match self.lookup(name) {
            Some(Attr::ClassVar(v)) => Some(v),
            _ => None,
        }
    }

    /// Bytes requested for the next instance's block (header, slots, the
    /// table header or the values), before anything a table allocates. For
    /// the dict layout it depends on the class's shared keys at the time:
    /// [`Instance::block_bytes`](super::Instance::block_bytes) says what an
    /// instance got.
    pub fn instance_block_bytes(&self) -> usize {
        self.instance_layout().block_bytes
    }

    /// Where each part of the next instance's block lives.
    pub fn instance_layout(&self) -> super::InstanceLayout {
        let capacity = self
            .0
            .shared_keys
            .as_ref()
            .map_or(0, SharedKeys::next_capacity);
        self.0.block.describe(capacity.max(1))
    }

    /// True if `self` is `other` or derives from it.
    pub fn is_subclass_of(&self, other: &Class) -> bool {
        self.is(other) || self.0.ancestors.iter().any(|a| a.is(other))
    }

    fn is(&self, other: &Class) -> bool {
        std::ptr::eq(self.0, other.0)
    }

    #[inline]
    pub(crate) fn lookup(&self, name: &str) -> Option<&Attr> {
        const SCAN_LIMIT: usize = 16;
        let data = &self.0;
        if data.identities.len() <= SCAN_LIMIT {
            let identity = (name.as_ptr() as usize, name.len());
            if let Some(i) = data.identities.iter().position(|p| *p == identity) {
                return data.attrs.get_index(i).map(|(_, attr)| attr);
            }
            if data.identities.is_empty() {
                return None;
            }
        }
        data.attrs.get(name)
    }

    #[inline]
    pub(crate) fn block(&self) -> &BlockLayout {
        &self.0.block
    }

    #[inline]
    pub(crate) fn shared_keys_table(&self) -> Option<&SharedKeys> {
        self.0.shared_keys.as_ref()
    }

    /// The layout's solid base: the nearest class (this one included) that
    /// adds slots of its own; `None` is `object`.
    fn solid_base(&self) -> Option<Class> {
        if self.0.own_slots.is_empty() {
            self.0.best_base.as_ref().and_then(Class::solid_base)
        } else {
            Some(*self)
        }
    }
}

impl fmt::Debug for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Class")
            .field("name", &self.0.name)
            .field("mro", &self.mro_names())
            .field("slots", &self.0.slot_names)
            .field("has_dict", &self.0.has_dict)
            .finish()
    }
}

#[cfg(test)]
mod tests;
