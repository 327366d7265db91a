//! Classes: names, bases, class variables, `__slots__`, and the instance
//! layout that follows from them, decided by CPython 3.11's rules.

use super::Layout;
use super::block::{BlockLayout, DictKind};
use super::dict::FxIndexMap;
use super::error::ModelError;
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
        ClassBuilder {
            name: name.to_owned(),
            bases: Vec::new(),
            slots: None,
            namespace: Vec::new(),
            table: false,
        }
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

/// Declares a class; see [`Class::builder`].
#[derive(Debug, Clone)]
pub struct ClassBuilder {
    name: String,
    bases: Vec<Class>,
    slots: Option<Vec<String>>,
    namespace: Vec<(String, Value)>,
    table: bool,
}

impl ClassBuilder {
    /// Adds a base class (in order, as in `class C(A, B)`).
    pub fn base(mut self, base: &Class) -> Self {
        self.bases.push(*base);
        self
    }

    /// Declares `__slots__`. May include `"__dict__"` and `"__weakref__"`.
    /// An empty list declares `__slots__ = ()`.
    pub fn slots<I, S>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.slots = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Gives instances a `__dict__` that is a hash table of their own (the
    /// table layout) instead of CPython 3.11's shared keys and inline
    /// values. Applies when this class adds the `__dict__`; a class that
    /// inherits one keeps its base's kind.
    pub fn table(mut self) -> Self {
        self.table = true;
        self
    }

    /// Adds a class variable (a name in the class body).
    pub fn class_var(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.namespace.push((name.to_owned(), value.into()));
        self
    }

    /// Builds the class, applying CPython 3.11's checks in CPython's order:
    /// layout conflict between bases, then `__slots__`, then the MRO.
    pub fn build(self) -> Result<Class, ModelError> {
        let best_base = best_base(&self.bases)?;
        let namespace: FxIndexMap<Str, Value> = self
            .namespace
            .into_iter()
            .map(|(k, v)| (Str::intern(&k), v))
            .collect();
        let base_has = |f: fn(&Class) -> bool| best_base.as_ref().is_some_and(f);
        let may_add_dict = !base_has(Class::has_dict);
        let may_add_weak = !base_has(Class::has_weakref);
        let (mut add_dict, mut add_weak) = (false, false);
        let mut own_slots = Vec::new();
        match &self.slots {
            None => (add_dict, add_weak) = (may_add_dict, may_add_weak),
            Some(declared) => {
                for name in declared {
                    if !is_identifier(name) {
                        return Err(ModelError::SlotNotIdentifier);
                    }
                    if name == "__dict__" {
                        if !may_add_dict || add_dict {
                            return Err(ModelError::DictSlotDisallowed);
                        }
                        add_dict = true;
                    }
                    if name == "__weakref__" {
                        if !may_add_weak || add_weak {
                            return Err(ModelError::WeakrefSlotDisallowed);
                        }
                        add_weak = true;
                    }
                }
                for name in declared {
                    if name == "__dict__" || name == "__weakref__" {
                        continue;
                    }
                    let mangled = mangle(&self.name, name);
                    if namespace.contains_key(mangled.as_str()) {
                        return Err(ModelError::SlotConflictsWithClassVar { name: mangled });
                    }
                    own_slots.push(Str::intern(&mangled));
                }
                own_slots.sort();
                // Secondary bases may provide a dict or weakrefs.
                for base in &self.bases {
                    if best_base.as_ref().is_some_and(|b| b.is(base)) {
                        continue;
                    }
                    add_dict |= may_add_dict && base.has_dict();
                    add_weak |= may_add_weak && base.has_weakref();
                }
            }
        }
        let ancestors = linearize(&self.bases)?;

        let mut slot_names: Vec<Str> = best_base
            .as_ref()
            .map(|b| b.0.slot_names.clone())
            .unwrap_or_default();
        let own_slots_start = slot_names.len();
        slot_names.extend(own_slots.iter().cloned());
        let has_dict = base_has(Class::has_dict) || add_dict;
        let dict_kind = match &best_base {
            Some(base) if base.has_dict() => base.0.dict_kind,
            _ if !has_dict => DictKind::None,
            _ if self.table => DictKind::Table,
            _ => DictKind::Values,
        };
        let block = BlockLayout::new(
            std::alloc::Layout::new::<Class>(),
            slot_names.len(),
            dict_kind,
        )
        .ok_or_else(|| ModelError::TooManySlots {
            class: self.name.clone(),
        })?;

        // Resolve every name once, from `object`'s end of the MRO to the
        // class itself, so that the nearest definition wins.
        let mut attrs = FxIndexMap::default();
        let mut define = |namespace: &FxIndexMap<Str, Value>, slots: &[Str], start: usize| {
            for (name, value) in namespace {
                attrs.insert(name.clone(), Attr::ClassVar(value.clone()));
            }
            for (i, name) in slots.iter().enumerate() {
                attrs.insert(name.clone(), Attr::Slot(start + i));
            }
        };
        for class in ancestors.iter().rev() {
            define(
                &class.0.namespace,
                &class.0.own_slots,
                class.0.own_slots_start,
            );
        }
        define(&namespace, &own_slots, own_slots_start);

        Ok(Class(Box::leak(Box::new(ClassData {
            name: self.name,
            bases: self.bases,
            ancestors,
            has_weakref: base_has(Class::has_weakref) || add_weak,
            best_base,
            namespace,
            own_slots,
            own_slots_start,
            declares_slots: self.slots.is_some(),
            slot_names,
            has_dict,
            dict_kind,
            shared_keys: (dict_kind == DictKind::Values).then(SharedKeys::new),
            identities: attrs
                .keys()
                .map(|k| (k.as_str().as_ptr() as usize, k.len()))
                .collect(),
            attrs,
            block,
        }))))
    }
}

/// Subclass test where `None` stands for `object`.
fn is_subtype(a: &Option<Class>, b: &Option<Class>) -> bool {
    match (a, b) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(a), Some(b)) => a.is_subclass_of(b),
    }
}

/// CPython's `best_base`: the base whose solid base is the most derived;
/// bases whose solid bases are unrelated cannot share one instance layout.
fn best_base(bases: &[Class]) -> Result<Option<Class>, ModelError> {
    let mut winner: Option<(Option<Class>, &Class)> = None;
    for base in bases {
        let candidate = base.solid_base();
        match &winner {
            None => winner = Some((candidate, base)),
            Some((solid, _)) if is_subtype(solid, &candidate) => {}
            Some((solid, _)) if is_subtype(&candidate, solid) => winner = Some((candidate, base)),
            Some(_) => return Err(ModelError::LayoutConflict),
        }
    }
    Ok(winner.map(|(_, base)| *base))
}

/// C3 linearization of the bases: the MRO after the new class, without
/// `object` (last in every MRO, so leaving it out changes no order).
fn linearize(bases: &[Class]) -> Result<Vec<Class>, ModelError> {
    for (i, base) in bases.iter().enumerate() {
        if bases[..i].iter().any(|b| b.is(base)) {
            return Err(ModelError::DuplicateBase {
                name: base.name().to_owned(),
            });
        }
    }
    let mut seqs: Vec<Vec<Class>> = bases
        .iter()
        .map(|b| std::iter::once(b).chain(&b.0.ancestors).cloned().collect())
        .collect();
    seqs.push(bases.to_vec());
    let mut out = Vec::new();
    loop {
        seqs.retain(|s| !s.is_empty());
        if seqs.is_empty() {
            return Ok(out);
        }
        let in_a_tail = |c: &Class| seqs.iter().any(|s| s[1..].iter().any(|t| t.is(c)));
        let Some(next) = seqs.iter().map(|s| &s[0]).find(|h| !in_a_tail(h)).cloned() else {
            let mut heads: Vec<&Class> = Vec::new();
            for s in &seqs {
                if !heads.iter().any(|h| h.is(&s[0])) {
                    heads.push(&s[0]);
                }
            }
            let names: Vec<&str> = heads.iter().map(|c| c.name()).collect();
            return Err(ModelError::InconsistentMro {
                bases: names.join(", "),
            });
        };
        for s in &mut seqs {
            if s[0].is(&next) {
                s.remove(0);
            }
        }
        out.push(next);
    }
}

/// `str.isidentifier()`: `_` or XID_Start, then XID_Continue.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || unicode_ident::is_xid_start(c))
        && chars.all(unicode_ident::is_xid_continue)
}

/// CPython's private-name mangling: `__x` in class `Cls` becomes `_Cls__x`.
fn mangle(class_name: &str, name: &str) -> String {
    let stripped = class_name.trim_start_matches('_');
    if !name.starts_with("__") || name.ends_with("__") || name.contains('.') || stripped.is_empty()
    {
        return name.to_owned();
    }
    format!("_{stripped}{name}")
}

#[cfg(test)]
mod tests;
