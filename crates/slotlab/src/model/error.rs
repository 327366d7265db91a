//! The object model's errors, each printing exactly what CPython 3.11 prints.

/// An error raised by the object model.
///
/// `Display` gives the last line of CPython 3.11's traceback for the same
/// operation: the exception type, a colon, and the message (checked against
/// `python3` by the `python_semantics` integration test).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// Reading, setting or deleting a name the object does not have.
    #[error("AttributeError: '{class}' object has no attribute '{attr}'")]
    NoAttribute {
        /// The instance's class name.
        class: String,
        /// The attribute name.
        attr: String,
    },
    /// Deleting a declared slot that holds no value.
    #[error("AttributeError: {attr}")]
    SlotEmpty {
        /// The slot name.
        attr: String,
    },
    /// Setting or deleting a class variable through an instance that has no
    /// `__dict__` to shadow it in.
    #[error("AttributeError: '{class}' object attribute '{attr}' is read-only")]
    ReadOnly {
        /// The instance's class name.
        class: String,
        /// The attribute name.
        attr: String,
    },
    /// Assigning something other than a dict to `__dict__`.
    #[error("TypeError: __dict__ must be set to a dictionary, not a '{given}'")]
    DictMustBeDict {
        /// The assigned value's type name.
        given: &'static str,
    },
    /// `__dict__` exists but is a mapping, not a [`crate::model::Value`]:
    /// read it with [`crate::model::Instance::vars`].
    #[error(
        "TypeError: '__dict__' of a '{class}' object is a mapping; read it with Instance::vars"
    )]
    DictIsNotAValue {
        /// The instance's class name.
        class: String,
    },
    /// `"__dict__"` in `__slots__` when the class already gets a dict.
    #[error("TypeError: __dict__ slot disallowed: we already got one")]
    DictSlotDisallowed,
    /// `"__weakref__"` in `__slots__` when the class already gets one.
    #[error(
        "TypeError: __weakref__ slot disallowed: either we already got one, or __itemsize__ != 0"
    )]
    WeakrefSlotDisallowed,
    /// A slot name that is also a class variable of the same class.
    #[error("ValueError: '{name}' in __slots__ conflicts with class variable")]
    SlotConflictsWithClassVar {
        /// The (mangled) slot name.
        name: String,
    },
    /// Two bases that each add instance slots of their own.
    #[error("TypeError: multiple bases have instance lay-out conflict")]
    LayoutConflict,
    /// A slot name that is not a Python identifier.
    #[error("TypeError: __slots__ must be identifiers")]
    SlotNotIdentifier,
    /// The same class listed twice among the bases.
    #[error("TypeError: duplicate base class {name}")]
    DuplicateBase {
        /// The repeated base's name.
        name: String,
    },
    /// Bases whose orders cannot be merged (C3 linearization fails).
    #[error(
        "TypeError: Cannot create a consistent method resolution\norder (MRO) for bases {bases}"
    )]
    InconsistentMro {
        /// The classes left unmerged, comma-separated, as CPython lists them.
        bases: String,
    },
    /// A class too large to lay out in memory.
    #[error("MemoryError: class '{class}' has too many slots to lay out")]
    TooManySlots {
        /// The class name.
        class: String,
    },
}

impl ModelError {
    /// The Python exception type, e.g. `AttributeError`.
    pub fn python_type(&self) -> &'static str {
        match self {
            ModelError::NoAttribute { .. }
            | ModelError::SlotEmpty { .. }
            | ModelError::ReadOnly { .. } => "AttributeError",
            ModelError::SlotConflictsWithClassVar { .. } => "ValueError",
            ModelError::TooManySlots { .. } => "MemoryError",
            _ => "TypeError",
        }
    }
}
