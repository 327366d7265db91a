//! Instances and Python's attribute protocol (`object.__getattribute__`,
//! `__setattr__`, `__delattr__`), over each layout's storage.

use super::class::{Attr, Class};
use super::dict::{DictState, Sharing, Table, find};
use super::error::ModelError;
use super::raw::object::{DictMut, DictRef, RawObject};
use super::raw::packed::Packed;
use super::value::{Str, Value};
use std::fmt;

/// An object: one heap block holding its class pointer, its slot values and,
/// if its class gives one, its `__dict__` (a table header, or values for
/// the class's shared keys).
///
/// Attribute access follows CPython's order: a slot of the class (a data
/// descriptor) first, then the instance `__dict__`, then a class variable.
/// Values are held packed in one word each; reading one unpacks a copy.
pub struct Instance {
    raw: RawObject,
}

/// What a name resolves to on the class, owned so the borrow ends.
enum Found {
    Slot(usize),
    ClassVar,
    Nothing,
}

impl Instance {
    /// A new instance with no attributes set (`object.__new__(class)`). A
    /// dict-layout instance takes its room for values from the class's
    /// shared keys, as CPython 3.11's `init_inline_values` does.
    #[inline]
    pub fn new(class: &Class) -> Self {
        Self {
            raw: RawObject::new(class),
        }
    }

    /// The instance's class.
    pub fn class(&self) -> &Class {
        self.raw.class()
    }

    #[inline]
    fn find(&self, name: &str) -> Found {
        match self.class().lookup(name) {
            Some(Attr::Slot(i)) => Found::Slot(*i),
            Some(Attr::ClassVar(_)) => Found::ClassVar,
            None => Found::Nothing,
        }
    }

    fn no_attribute(&self, name: &str) -> ModelError {
        ModelError::NoAttribute {
            class: self.class().name().to_owned(),
            attr: name.to_owned(),
        }
    }

    /// The packed value `name` holds in the instance itself (slot or
    /// `__dict__`), or what the class answers for it.
    #[inline]
    fn read(&self, name: &str) -> Result<Read<'_>, ModelError> {
        let class = self.class();
        let found = class.lookup(name);
        if let Some(Attr::Slot(i)) = found {
            let slot = &self.raw.slots()[*i];
            return if slot.is_unset() {
                Err(self.no_attribute(name))
            } else {
                Ok(Read::Packed(slot))
            };
        }
        let dict = self.raw.dict();
        if !matches!(dict, DictRef::Absent) && name == "__dict__" {
            return Err(ModelError::DictIsNotAValue {
                class: class.name().to_owned(),
            });
        }
        let held = match dict {
            DictRef::Absent => None,
            DictRef::Inline(values) => class
                .shared_keys_table()
                .and_then(|keys| keys.find(name))
                .and_then(|index| values.get(index)),
            DictRef::Table(table, _) => find(table, name).map(|(_, value)| value),
        };
        match (held, found) {
            (Some(value), _) => Ok(Read::Packed(value)),
            (None, Some(Attr::ClassVar(value))) => Ok(Read::Value(value)),
            _ => Err(self.no_attribute(name)),
        }
    }

    /// `getattr(obj, name)`: a copy of the value (a `str`'s count bumped).
    #[inline]
    pub fn get_attr(&self, name: &str) -> Result<Value, ModelError> {
        Ok(match self.read(name)? {
            Read::Packed(p) => p.get().ok_or_else(|| self.no_attribute(name))?,
            Read::Value(v) => v.clone(),
        })
    }

    /// `setattr(obj, name, value)`. Takes the name as a shared [`Str`]
    /// (ideally [`Str::intern`]ed): a new table key keeps a reference to it
    /// instead of copying it.
    ///
    /// A dict-layout instance stores the value under the class's shared
    /// key, adding the key while the shared keys have room; a key they
    /// cannot take makes the instance a dict with its own keys, as CPython
    /// 3.11 does.
    #[inline(always)]
    pub fn set_attr(&mut self, name: &Str, value: Value) -> Result<(), ModelError> {
        let found = self.find(name);
        if let Found::Slot(i) = found {
            self.raw.slots_mut()[i] = Packed::new(value);
            return Ok(());
        }
        self.set_in_dict(name, value, found)
    }

    /// `set_attr` for a name that is not a slot: into the `__dict__`.
    fn set_in_dict(&mut self, name: &Str, value: Value, found: Found) -> Result<(), ModelError> {
        let class = *self.class();
        if !matches!(self.raw.dict(), DictRef::Absent) && name.as_str() == "__dict__" {
            return Err(ModelError::DictMustBeDict {
                given: value.type_name(),
            });
        }
        let mut value = Packed::new(value);
        if let DictMut::Inline(mut values) = self.raw.dict_mut() {
            if let Some(index) = class.shared_keys_table().and_then(|keys| keys.insert(name)) {
                match values.set(index, value) {
                    Ok(()) => return Ok(()),
                    Err(back) => value = back,
                }
            }
            // A key the shared keys cannot take: a dict with keys of its own.
            self.raw.materialize(Sharing::Own, true);
        }
        let mut lost_sharing = false;
        match self.raw.dict_mut() {
            DictMut::Table(table, sharing) => {
                match find(table, name) {
                    Some((index, _)) => table[index] = value,
                    None => {
                        // A dict that shares its class's keys adds new ones to them.
                        if sharing == Sharing::Shared
                            && class
                                .shared_keys_table()
                                .and_then(|k| k.insert(name))
                                .is_none()
                        {
                            lost_sharing = true;
                        }
                        table.insert(name.clone(), value);
                    }
                }
            }
            DictMut::Inline(_) => unreachable!("materialized above"),
            DictMut::Absent if matches!(found, Found::ClassVar) => {
                return Err(ModelError::ReadOnly {
                    class: class.name().to_owned(),
                    attr: name.to_string(),
                });
            }
            DictMut::Absent => return Err(self.no_attribute(name)),
        }
        if lost_sharing {
            self.raw.set_sharing(Sharing::Own);
        }
        Ok(())
    }

    /// `delattr(obj, name)`. Deleting `__dict__` empties it, as CPython's
    /// fresh dict on next access does (a dict-layout instance's fresh dict
    /// shares its class's keys).
    pub fn del_attr(&mut self, name: &str) -> Result<(), ModelError> {
        let found = self.find(name);
        if let Found::Slot(i) = found {
            let slot = std::mem::replace(&mut self.raw.slots_mut()[i], Packed::UNSET);
            return match slot.is_unset() {
                false => Ok(()),
                true => Err(ModelError::SlotEmpty {
                    attr: name.to_owned(),
                }),
            };
        }
        let class = *self.class();
        if name == "__dict__" {
            match self.raw.dict_mut() {
                DictMut::Inline(_) => self.raw.materialize(Sharing::Shared, false),
                DictMut::Table(table, _) => {
                    *table = Table::default();
                    // A dict-layout instance's fresh dict shares its class's keys.
                    self.raw.set_sharing(Sharing::Shared);
                }
                DictMut::Absent => return Err(self.no_attribute(name)),
            }
            return Ok(());
        }
        let removed = match self.raw.dict_mut() {
            DictMut::Inline(mut values) => class
                .shared_keys_table()
                .and_then(|keys| keys.find(name))
                .is_some_and(|index| values.delete(index)),
            // `shift_remove` keeps the remaining keys in insertion order.
            DictMut::Table(table, _) => table.shift_remove(name).is_some(),
            DictMut::Absent if matches!(found, Found::ClassVar) => {
                return Err(ModelError::ReadOnly {
                    class: class.name().to_owned(),
                    attr: name.to_owned(),
                });
            }
            DictMut::Absent => false,
        };
        if removed {
            Ok(())
        } else {
            Err(self.no_attribute(name))
        }
    }

    /// `vars(obj)` / `obj.__dict__`: the instance's attributes in its
    /// insertion order. Like CPython 3.11, asking for it gives a dict-layout
    /// instance a dict object of its own (here: moves its values into a
    /// table), which it keeps; [`Instance::attributes`] reads without that.
    pub fn vars(&mut self) -> Result<Vec<(Str, Value)>, ModelError> {
        if let DictMut::Inline(_) = self.raw.dict_mut() {
            self.raw.materialize(Sharing::Shared, true);
        }
        self.attributes()
    }

    /// The `__dict__`'s attributes in insertion order, read where they are
    /// (changing nothing); CPython's `AttributeError` when the class gives
    /// its instances no `__dict__`.
    pub fn attributes(&self) -> Result<Vec<(Str, Value)>, ModelError> {
        let mut out = Vec::new();
        match self.raw.dict() {
            DictRef::Absent => return Err(self.no_attribute("__dict__")),
            DictRef::Inline(values) => {
                let keys = self.class().shared_keys_table();
                for (index, value) in values.in_order() {
                    if let (Some(key), Some(value)) = (keys.and_then(|k| k.key(index)), value.get())
                    {
                        out.push((key.clone(), value));
                    }
                }
            }
            DictRef::Table(table, _) => {
                out.extend(
                    table
                        .iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.get()?))),
                );
            }
        }
        Ok(out)
    }

    /// Where the `__dict__` is now (`None` without one).
    pub fn dict_state(&self) -> Option<DictState> {
        Some(match self.raw.dict() {
            DictRef::Absent => return None,
            DictRef::Inline(values) => DictState::Inline {
                capacity: values.capacity(),
                len: values.order.len(),
            },
            DictRef::Table(table, _) if self.class().layout() == super::Layout::Table => {
                DictState::Table { len: table.len() }
            }
            DictRef::Table(table, Sharing::Shared) => DictState::Shared { len: table.len() },
            DictRef::Table(table, Sharing::Own) => DictState::Own { len: table.len() },
        })
    }

    /// The value in slot `index` (from [`Class::slot_index`]), if set. A
    /// call site that cached the index skips the name lookup, as CPython's
    /// specializing interpreter does. `None` also for an index out of range.
    pub fn slot(&self, index: usize) -> Option<Value> {
        self.raw.slots().get(index)?.get()
    }

    /// Bytes requested for this instance's block (header, slots, the table
    /// header or the values it has room for).
    pub fn block_bytes(&self) -> usize {
        self.raw.block_bytes()
    }

    /// Where each part of this instance's block lives.
    pub fn block_layout(&self) -> super::InstanceLayout {
        self.class()
            .block()
            .describe(self.raw.values_capacity().max(1))
    }
}

/// Where a read found its value.
enum Read<'a> {
    Packed(&'a Packed),
    Value(&'a Value),
}

impl Instance {
    /// The objects this one refers to, from its slots and its `__dict__`:
    /// what a tracing collector follows.
    pub fn references(&self) -> impl Iterator<Item = super::ObjectId> + '_ {
        let slots = self.raw.slots().iter();
        let (inline, table) = match self.raw.dict() {
            DictRef::Absent => (None, None),
            DictRef::Inline(values) => (Some(values.values.iter()), None),
            DictRef::Table(table, _) => (None, Some(table.values())),
        };
        slots
            .chain(inline.into_iter().flatten())
            .chain(table.into_iter().flatten())
            .filter_map(Packed::object)
    }

    /// Heap blocks this instance owns: its own block, plus, for a table,
    /// the table's entries and index blocks once it holds anything (and
    /// the table's own box when a dict-layout instance materialized one).
    pub fn heap_blocks(&self) -> usize {
        let table_blocks = |t: &Table| if t.capacity() > 0 { 2 } else { 0 };
        1 + match self.raw.dict() {
            DictRef::Absent | DictRef::Inline(_) => 0,
            DictRef::Table(t, _) if self.class().layout() == super::Layout::Table => {
                table_blocks(t)
            }
            DictRef::Table(t, _) => 1 + table_blocks(t),
        }
    }

    /// Stores `value` in slot `index` (from [`Class::slot_index`]), skipping
    /// the name lookup; returns `false` (storing nothing) for an index out
    /// of range.
    pub fn set_slot(&mut self, index: usize, value: Value) -> bool {
        match self.raw.slots_mut().get_mut(index) {
            Some(slot) => {
                *slot = Packed::new(value);
                true
            }
            None => false,
        }
    }
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct(self.class().name());
        for (name, value) in self.class().slot_names().iter().zip(self.raw.slots()) {
            s.field(name, &value.get());
        }
        if let Ok(attributes) = self.attributes() {
            s.field("__dict__", &attributes);
        }
        s.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(s: &str) -> Str {
        Str::new(s)
    }

    fn slots_class() -> Class {
        Class::builder("S")
            .slots(["timestamp", "value"])
            .class_var("y", 5i64)
            .build()
            .unwrap()
    }

    fn message(e: ModelError) -> String {
        e.to_string()
    }

    /// The `__dict__`'s keys, in order, read without materializing.
    fn names(i: &Instance) -> Vec<String> {
        i.attributes()
            .unwrap()
            .into_iter()
            .map(|(k, _)| k.to_string())
            .collect()
    }

    #[test]
    fn slots_store_and_read_declared_names() {
        let mut s = Instance::new(&slots_class());
        s.set_attr(&name("timestamp"), Value::Int(7)).unwrap();
        s.set_attr(&name("value"), Value::Float(0.7)).unwrap();
        assert_eq!(s.get_attr("timestamp").unwrap(), Value::Int(7));
        assert_eq!(s.get_attr("value").unwrap(), Value::Float(0.7));
        assert_eq!(s.slot(1), Some(Value::Float(0.7)));
        assert_eq!(s.slot(2), None);
    }

    #[test]
    fn setting_an_undeclared_attribute_on_slots_fails() {
        let mut s = Instance::new(&slots_class());
        let err = s.set_attr(&name("foo"), Value::Int(1)).unwrap_err();
        assert_eq!(
            message(err),
            "AttributeError: 'S' object has no attribute 'foo'"
        );
    }

    #[test]
    fn reading_an_unset_or_deleted_slot_fails() {
        let mut s = Instance::new(&slots_class());
        let err = s.get_attr("value").unwrap_err();
        assert_eq!(
            message(err),
            "AttributeError: 'S' object has no attribute 'value'"
        );
        s.set_attr(&name("value"), Value::Float(1.0)).unwrap();
        s.del_attr("value").unwrap();
        let err = s.get_attr("value").unwrap_err();
        assert_eq!(
            message(err),
            "AttributeError: 'S' object has no attribute 'value'"
        );
        // Deleting it again: CPython names only the attribute.
        assert_eq!(
            message(s.del_attr("value").unwrap_err()),
            "AttributeError: value"
        );
    }

    #[test]
    fn slots_instance_has_no_dict() {
        let mut s = Instance::new(&slots_class());
        let expected = "AttributeError: 'S' object has no attribute '__dict__'";
        assert_eq!(message(s.vars().unwrap_err()), expected);
        assert_eq!(message(s.attributes().unwrap_err()), expected);
        assert_eq!(message(s.get_attr("__dict__").unwrap_err()), expected);
        assert_eq!(
            message(s.set_attr(&name("__dict__"), Value::None).unwrap_err()),
            expected
        );
        assert_eq!(message(s.del_attr("__dict__").unwrap_err()), expected);
    }

    #[test]
    fn class_variables_are_read_only_without_a_dict() {
        let mut s = Instance::new(&slots_class());
        assert_eq!(s.get_attr("y").unwrap(), Value::Int(5));
        let expected = "AttributeError: 'S' object attribute 'y' is read-only";
        assert_eq!(
            message(s.set_attr(&name("y"), Value::Int(6)).unwrap_err()),
            expected
        );
        assert_eq!(message(s.del_attr("y").unwrap_err()), expected);
    }

    #[test]
    fn dict_instances_accept_any_name_in_insertion_order() {
        let class = Class::builder("D").class_var("y", 1i64).build().unwrap();
        let mut d = Instance::new(&class);
        for (i, n) in ["b", "a", "c"].iter().enumerate() {
            d.set_attr(&name(n), Value::Int(i as i64)).unwrap();
        }
        d.set_attr(&name("b"), Value::Int(9)).unwrap();
        let keys = names(&d);
        assert_eq!(keys, ["b", "a", "c"]);
        d.del_attr("a").unwrap();
        let keys = names(&d);
        assert_eq!(keys, ["b", "c"]);
        assert_eq!(d.get_attr("b").unwrap(), Value::Int(9));
        // A class variable is shadowed by the dict, then visible again.
        assert_eq!(d.get_attr("y").unwrap(), Value::Int(1));
        d.set_attr(&name("y"), Value::Int(2)).unwrap();
        assert_eq!(d.get_attr("y").unwrap(), Value::Int(2));
        d.del_attr("y").unwrap();
        assert_eq!(d.get_attr("y").unwrap(), Value::Int(1));
        // Deleting a class variable through a dict instance: no attribute.
        assert_eq!(
            message(d.del_attr("y").unwrap_err()),
            "AttributeError: 'D' object has no attribute 'y'"
        );
        assert_eq!(
            message(d.get_attr("zz").unwrap_err()),
            "AttributeError: 'D' object has no attribute 'zz'"
        );
    }

    #[test]
    fn dict_attribute_itself() {
        let mut d = Instance::new(&Class::builder("D").build().unwrap());
        d.set_attr(&name("x"), Value::Int(1)).unwrap();
        assert_eq!(
            message(d.set_attr(&name("__dict__"), Value::Int(1)).unwrap_err()),
            "TypeError: __dict__ must be set to a dictionary, not a 'int'"
        );
        assert!(matches!(
            d.get_attr("__dict__"),
            Err(ModelError::DictIsNotAValue { .. })
        ));
        d.del_attr("__dict__").unwrap();
        assert!(d.attributes().unwrap().is_empty());
    }

    #[test]
    fn subclass_of_slots_class_takes_new_attributes() {
        let base = slots_class();
        let sub = Class::builder("Sub").base(&base).build().unwrap();
        let mut u = Instance::new(&sub);
        u.set_attr(&name("foo"), Value::Int(3)).unwrap();
        u.set_attr(&name("value"), Value::Float(1.5)).unwrap();
        // The slot still holds `value`; only `foo` went to the dict.
        let keys = names(&u);
        assert_eq!(keys, ["foo"]);
        assert_eq!(u.get_attr("value").unwrap(), Value::Float(1.5));
        // With a dict, a class variable can be shadowed.
        u.set_attr(&name("y"), Value::Int(6)).unwrap();
        assert_eq!(u.get_attr("y").unwrap(), Value::Int(6));
    }

    #[test]
    fn dict_in_slots_takes_new_attributes() {
        let c = Class::builder("SD")
            .slots(["a", "__dict__"])
            .build()
            .unwrap();
        let mut i = Instance::new(&c);
        i.set_attr(&name("zz"), Value::from("text")).unwrap();
        assert_eq!(i.get_attr("zz").unwrap(), Value::from("text"));
        assert_eq!(i.attributes().unwrap().len(), 1);
    }

    #[test]
    fn set_slot_by_cached_index() {
        let class = slots_class();
        let mut s = Instance::new(&class);
        let index = class.slot_index("value").unwrap();
        assert!(s.set_slot(index, Value::Float(2.5)));
        assert_eq!(s.get_attr("value").unwrap(), Value::Float(2.5));
        assert!(!s.set_slot(7, Value::None));
    }

    #[test]
    fn debug_shows_class_and_values() {
        let mut s = Instance::new(&slots_class());
        s.set_attr(&name("value"), Value::Float(0.5)).unwrap();
        assert_eq!(
            format!("{s:?}"),
            "S { timestamp: None, value: Some(Float(0.5)) }"
        );
    }
}
