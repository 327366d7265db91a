//! An instance's inline values: CPython 3.11's values array
//! (`PyDictValues`). One value per index of the class's shared keys (unset
//! where the instance has no such attribute), and the order the instance
//! set them in, one byte per value, so that each instance keeps its own
//! insertion order while the keys are shared.

use super::raw::packed::Packed;

/// The values, read-only.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InlineValues<'a> {
    /// The indexes set, in insertion order.
    pub(crate) order: &'a [u8],
    /// One value per index, unset where the attribute is absent.
    pub(crate) values: &'a [Packed],
}

/// The values, writable.
#[derive(Debug)]
pub(crate) struct InlineValuesMut<'a> {
    /// How many of `order` are in use.
    pub(crate) len: &'a mut u8,
    /// Room for one index per value.
    pub(crate) order: &'a mut [u8],
    /// One value per index.
    pub(crate) values: &'a mut [Packed],
}

impl<'a> InlineValues<'a> {
    /// The value at shared-key index `index`, if this instance set it.
    #[inline]
    pub(crate) fn get(&self, index: usize) -> Option<&'a Packed> {
        self.values.get(index).filter(|v| !v.is_unset())
    }

    /// `(index, value)` in the order the instance set them.
    pub(crate) fn in_order(&self) -> impl Iterator<Item = (usize, &'a Packed)> + 'a {
        let values = self.values;
        self.order
            .iter()
            .map(move |&i| (usize::from(i), &values[usize::from(i)]))
    }

    /// How many values there is room for.
    pub(crate) fn capacity(&self) -> usize {
        self.values.len()
    }
}

impl InlineValuesMut<'_> {
    /// Stores `value` at `index` (`_PyObject_StoreInstanceAttribute`): a
    /// new attribute goes to the end of the order, a replaced one keeps
    /// its place. Gives the value back if the index is past the room.
    #[inline]
    pub(crate) fn set(&mut self, index: usize, value: Packed) -> Result<(), Packed> {
        let Some(slot) = self.values.get_mut(index) else {
            return Err(value);
        };
        if slot.is_unset() {
            let len = usize::from(*self.len);
            // Every set index appears once in the order, so there is room.
            self.order[len] = index as u8;
            *self.len += 1;
        }
        *slot = value;
        Ok(())
    }

    /// Removes the value at `index` (`delete_index_from_values`), closing
    /// the gap in the order; false if the instance has none there.
    pub(crate) fn delete(&mut self, index: usize) -> bool {
        match self.values.get_mut(index) {
            Some(slot) if !slot.is_unset() => {
                *slot = Packed::UNSET;
                let len = usize::from(*self.len);
                let order = &mut self.order[..len];
                if let Some(at) = order.iter().position(|&i| usize::from(i) == index) {
                    order.copy_within(at + 1.., at);
                    *self.len -= 1;
                }
                true
            }
            _ => false,
        }
    }

    /// Takes every value out, in the instance's order, leaving none.
    pub(crate) fn take_in_order(&mut self) -> Vec<(usize, Packed)> {
        let len = usize::from(std::mem::take(self.len));
        self.order[..len]
            .iter()
            .map(|&i| {
                let index = usize::from(i);
                (
                    index,
                    std::mem::replace(&mut self.values[index], Packed::UNSET),
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Value;

    fn int(i: i64) -> Packed {
        Packed::new(Value::Int(i))
    }

    #[test]
    fn order_is_the_instances_own_through_deletes_and_re_adds() {
        let mut len = 0u8;
        let mut order = [0u8; 3];
        let mut values = [Packed::UNSET, Packed::UNSET, Packed::UNSET];
        let mut v = InlineValuesMut {
            len: &mut len,
            order: &mut order,
            values: &mut values,
        };
        for index in [0, 2, 1] {
            v.set(index, int(index as i64)).unwrap();
        }
        v.set(2, int(20)).unwrap();
        assert!(v.delete(2));
        assert!(!v.delete(2));
        v.set(2, int(21)).unwrap();
        assert!(v.set(3, int(3)).is_err());
        let read = InlineValues {
            order: &order[..usize::from(len)],
            values: &values,
        };
        let seen: Vec<(usize, Option<Value>)> =
            read.in_order().map(|(i, p)| (i, p.get())).collect();
        assert_eq!(
            seen,
            [
                (0, Some(Value::Int(0))),
                (1, Some(Value::Int(1))),
                (2, Some(Value::Int(21)))
            ]
        );
        assert!(read.get(1).is_some() && read.get(5).is_none());
    }
}
