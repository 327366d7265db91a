//! Declaring a class: CPython 3.11's class-creation rules (best base and
//! layout conflicts, `__slots__` checks and mangling, the C3 MRO) and the
//! per-class table that resolves every attribute name once.

use super::{Attr, Class, ClassData};
use crate::model::block::{BlockLayout, DictKind};
use crate::model::dict::FxIndexMap;
use crate::model::error::ModelError;
use crate::model::keys::SharedKeys;
use crate::model::value::{Str, Value};

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
    /// A class named `name` with no bases, no `__slots__`, nothing in its
    /// body ([`Class::builder`]).
    pub(super) fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            bases: Vec::new(),
            slots: None,
            namespace: Vec::new(),
            table: false,
        }
    }

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
