//! `check!`: one catalogue line per check, in each suite module's `CHECKS`.

/// One catalogue line: `check!(body, id, suite, LEVEL, [requirements], title)`.
macro_rules! check {
    ($body:path, $id:literal, $suite:literal, $level:ident, [$($req:literal),+], $title:literal $(, capability = $cap:literal)? $(, needs = [$($need:ident),*])?) => {
        $crate::Check {
            meta: $crate::CheckMeta {
                id: $id,
                suite: $suite,
                level: $crate::Level::$level,
                requirements: &[$($req),+],
                title: $title,
                capability: check!(@cap $($cap)?),
                needs: &[$($($crate::Need::$need),*)?],
            },
            run: {
                fn run(cx: &$crate::Context) -> $crate::CheckFuture<'_> {
                    Box::pin($body(cx))
                }
                run
            },
        }
    };
    (@cap) => { None };
    (@cap $cap:literal) => { Some($cap) };
}
