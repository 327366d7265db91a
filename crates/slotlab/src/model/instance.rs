//! Instances and Python's attribute protocol (`object.__getattribute__`,
//! `__setattr__`, `__delattr__`).

use super::class::{Attr, Class};
use super::dict::{Dict, find};
use super::error::ModelError;
use super::raw::RawObject;
use super::value::{Str, Value};
use std::fmt;

/// An object: one heap block holding its class pointer, its slot values and,
/// if its class gives one, its `__dict__`.
///
/// Attribute access follows CPython's order: a slot of the class (a data
/// descriptor) first, then the instance `__dict__`, then a class variable.
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
    /// A new instance with no attributes set (`object.__new__(class)`).
    pub fn new(class: &Class) -> Self {
        Self {
            raw: RawObject::new(class),
        }
    }

    /// The instance's class.
    pub fn class(&self) -> &Class {
        self.raw.class()
    }

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

    /// `getattr(obj, name)`.
    pub fn get_attr(&self, name: &str) -> Result<&Value, ModelError> {
        let class = self.class();
        let found = class.lookup(name);
        if let Some(Attr::Slot(i)) = found {
            return self.raw.slots()[*i]
                .as_ref()
                .ok_or_else(|| self.no_attribute(name));
        }
        if let Some(dict) = self.raw.dict() {
            if name == "__dict__" {
                return Err(ModelError::DictIsNotAValue {
                    class: class.name().to_owned(),
                });
            }
            if let Some((_, value)) = find(dict, name) {
                return Ok(value);
            }
        }
        match found {
            Some(Attr::ClassVar(value)) => Ok(value),
            _ => Err(self.no_attribute(name)),
        }
    }

    /// `setattr(obj, name, value)`. Takes the name as a shared [`Str`]
    /// (ideally [`Str::intern`]ed): a new `__dict__` key keeps a reference to
    /// it instead of copying it.
    pub fn set_attr(&mut self, name: &Str, value: Value) -> Result<(), ModelError> {
        let found = self.find(name);
        if let Found::Slot(i) = found {
            self.raw.slots_mut()[i] = Some(value);
            return Ok(());
        }
        let has_dict = self.raw.dict().is_some();
        if has_dict && name.as_str() == "__dict__" {
            return Err(ModelError::DictMustBeDict {
                given: value.type_name(),
            });
        }
        match self.raw.dict_mut() {
            Some(dict) => {
                match find(dict, name) {
                    Some((index, _)) => dict[index] = value,
                    None => {
                        dict.insert(name.clone(), value);
                    }
                }
                Ok(())
            }
            None if matches!(found, Found::ClassVar) => Err(ModelError::ReadOnly {
                class: self.class().name().to_owned(),
                attr: name.to_string(),
            }),
            None => Err(self.no_attribute(name)),
        }
    }

    /// `delattr(obj, name)`. Deleting `__dict__` empties it, as CPython's
    /// fresh dict on next access does.
    pub fn del_attr(&mut self, name: &str) -> Result<(), ModelError> {
        let found = self.find(name);
        if let Found::Slot(i) = found {
            return match self.raw.slots_mut()[i].take() {
                Some(_) => Ok(()),
                None => Err(ModelError::SlotEmpty {
                    attr: name.to_owned(),
                }),
            };
        }
        let class_name = self.class().name().to_owned();
        match self.raw.dict_mut() {
            Some(dict) if name == "__dict__" => {
                *dict = Dict::default();
                Ok(())
            }
            // `shift_remove` keeps the remaining keys in insertion order.
            Some(dict) => match dict.shift_remove(name) {
                Some(_) => Ok(()),
                None => Err(self.no_attribute(name)),
            },
            None if matches!(found, Found::ClassVar) => Err(ModelError::ReadOnly {
                class: class_name,
                attr: name.to_owned(),
            }),
            None => Err(self.no_attribute(name)),
        }
    }

    /// `obj.__dict__`, or CPython's `AttributeError` when the class gives
    /// its instances none.
    pub fn dict(&self) -> Result<&Dict, ModelError> {
        self.raw.dict().ok_or_else(|| self.no_attribute("__dict__"))
    }

    /// The value in slot `index` (from [`Class::slot_index`]), if set. A
    /// call site that cached the index skips the name lookup, as CPython's
    /// specializing interpreter does. `None` also for an index out of range.
    pub fn slot(&self, index: usize) -> Option<&Value> {
        self.raw.slots().get(index)?.as_ref()
    }
}

impl Instance {
    /// The objects this one refers to, from its slots and its `__dict__`:
    /// what a tracing collector follows.
    pub fn references(&self) -> impl Iterator<Item = super::ObjectId> + '_ {
        let slots = self.raw.slots().iter().flatten();
        let dict = self.raw.dict().into_iter().flat_map(|d| d.values());
        slots.chain(dict).filter_map(|v| match v {
            Value::Object(id) => Some(*id),
            _ => None,
        })
    }

    /// Heap blocks this instance owns: its own block, plus its `__dict__`'s
    /// entries and index table once the dict holds anything.
    pub fn heap_blocks(&self) -> usize {
        let dict_blocks = self
            .raw
            .dict()
            .map_or(0, |d| if d.capacity() > 0 { 2 } else { 0 });
        1 + dict_blocks
    }

    /// Stores `value` in slot `index` (from [`Class::slot_index`]), skipping
    /// the name lookup; returns `false` (storing nothing) for an index out
    /// of range.
    pub fn set_slot(&mut self, index: usize, value: Value) -> bool {
        match self.raw.slots_mut().get_mut(index) {
            Some(slot) => {
                *slot = Some(value);
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
            s.field(name, value);
        }
        if let Some(dict) = self.raw.dict() {
            s.field("__dict__", dict);
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

    #[test]
    fn slots_store_and_read_declared_names() {
        let mut s = Instance::new(&slots_class());
        s.set_attr(&name("timestamp"), Value::Int(7)).unwrap();
        s.set_attr(&name("value"), Value::Float(0.7)).unwrap();
        assert_eq!(s.get_attr("timestamp").unwrap(), &Value::Int(7));
        assert_eq!(s.get_attr("value").unwrap(), &Value::Float(0.7));
        assert_eq!(s.slot(1), Some(&Value::Float(0.7)));
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
        assert_eq!(message(s.dict().unwrap_err()), expected);
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
        assert_eq!(s.get_attr("y").unwrap(), &Value::Int(5));
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
        let keys: Vec<&str> = d.dict().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        d.del_attr("a").unwrap();
        let keys: Vec<&str> = d.dict().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["b", "c"]);
        assert_eq!(d.get_attr("b").unwrap(), &Value::Int(9));
        // A class variable is shadowed by the dict, then visible again.
        assert_eq!(d.get_attr("y").unwrap(), &Value::Int(1));
        d.set_attr(&name("y"), Value::Int(2)).unwrap();
        assert_eq!(d.get_attr("y").unwrap(), &Value::Int(2));
        d.del_attr("y").unwrap();
        assert_eq!(d.get_attr("y").unwrap(), &Value::Int(1));
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
        assert!(d.dict().unwrap().is_empty());
    }

    #[test]
    fn subclass_of_slots_class_takes_new_attributes() {
        let base = slots_class();
        let sub = Class::builder("Sub").base(&base).build().unwrap();
        let mut u = Instance::new(&sub);
        u.set_attr(&name("foo"), Value::Int(3)).unwrap();
        u.set_attr(&name("value"), Value::Float(1.5)).unwrap();
        // The slot still holds `value`; only `foo` went to the dict.
        let keys: Vec<&str> = u.dict().unwrap().keys().map(|k| k.as_str()).collect();
        assert_eq!(keys, ["foo"]);
        assert_eq!(u.get_attr("value").unwrap(), &Value::Float(1.5));
        // With a dict, a class variable can be shadowed.
        u.set_attr(&name("y"), Value::Int(6)).unwrap();
        assert_eq!(u.get_attr("y").unwrap(), &Value::Int(6));
    }

    #[test]
    fn dict_in_slots_takes_new_attributes() {
        let c = Class::builder("SD")
            .slots(["a", "__dict__"])
            .build()
            .unwrap();
        let mut i = Instance::new(&c);
        i.set_attr(&name("zz"), Value::from("text")).unwrap();
        assert_eq!(i.get_attr("zz").unwrap(), &Value::from("text"));
        assert_eq!(i.dict().unwrap().len(), 1);
    }

    #[test]
    fn set_slot_by_cached_index() {
        let class = slots_class();
        let mut s = Instance::new(&class);
        let index = class.slot_index("value").unwrap();
        assert!(s.set_slot(index, Value::Float(2.5)));
        assert_eq!(s.get_attr("value").unwrap(), &Value::Float(2.5));
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
