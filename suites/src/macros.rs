//! `check!`: one catalogue line per check, in each suite module's `CHECKS`.

/// One catalogue line: `check!(body, id, suite, LEVEL, [requirements], title)`, then optionally
/// `capability = "..."`, `needs = [...]`, `whole_run = true` (in that order).
macro_rules! check {
    ($body:path, $id:literal, $suite:literal, $level:ident, [$($req:literal),+], $title:literal $(, capability = $cap:literal)? $(, needs = [$($need:ident),*])? $(, whole_run = $whole:literal)?) => {
        $crate::Check {
            meta: $crate::CheckMeta {
                id: $id,
                suite: $suite,
                level: $crate::Level::$level,
                requirements: &[$($req),+],
                title: $title,
                capability: check!(@cap $($cap)?),
                needs: &[$($($crate::Need::$need),*)?],
                whole_run: check!(@whole $($whole)?),
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
    (@whole) => { false };
    (@whole $whole:literal) => { $whole };
}
