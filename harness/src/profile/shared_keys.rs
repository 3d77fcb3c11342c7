//! Keys several kinds share, written once: the page sizes of every paged kind, the header of
//! every auth kind. serde's `flatten` would do it but cannot refuse unknown keys
//! (`deny_unknown_fields`), and a key another kind reads must be refused by name; so
//! [`with_shared_keys!`] writes the shared keys into each variant where `..shared` stands. The
//! enums read as before and their TOML is unchanged.

/// `with_shared_keys! { shared { <fields> } <enum> }`: the enum, with `<fields>` written into each
/// variant at its `..shared,` (a variant without one has none of them). Each variant is taken in
/// turn (`@variants`), so the shared fields are spliced whole into one variant at a time.
macro_rules! with_shared_keys {
    (shared { $($shared:tt)* } $(#[$meta:meta])* pub enum $name:ident { $($variants:tt)* }) => {
        with_shared_keys!(@variants [$($shared)*] [$(#[$meta])* pub enum $name] [] $($variants)*);
    };
    (
        @variants [$($shared:tt)*] $head:tt [$($done:tt)*]
        $(#[$vmeta:meta])* $variant:ident {
            $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* ..shared, $($(#[$ameta:meta])* $after:ident: $aty:ty,)*
        } $(, $($rest:tt)*)?
    ) => {
        with_shared_keys!(
            @variants [$($shared)*] $head
            [$($done)* $(#[$vmeta])* $variant { $($(#[$fmeta])* $field: $ty,)* $($shared)* $($(#[$ameta])* $after: $aty,)* },]
            $($($rest)*)?
        );
    };
    (@variants $shared:tt $head:tt [$($done:tt)*] $(#[$vmeta:meta])* $variant:ident { $($fields:tt)* } $(, $($rest:tt)*)?) => {
        with_shared_keys!(@variants $shared $head [$($done)* $(#[$vmeta])* $variant { $($fields)* },] $($($rest)*)?);
    };
    (@variants $shared:tt [$($head:tt)*] [$($done:tt)*]) => {
        $($head)* { $($done)* }
    };
}
