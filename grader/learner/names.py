"""Exercise names on the learner's command line: ``EX=0.4``, ``EX=softmax``, ``EX=phase0_math.gradcheck``.

:func:`resolve` reads a name the way every learner command does (check, hint, reset): a manifest
number, a name, a test marker, each optionally prefixed by its package (``phase0_math.gradcheck``,
``phase0_math:gradcheck``); a name several phases share is refused with the choices, each with its
number, and :func:`label` is how every tool shows an exercise (the manifest's number and name).

Imports: :mod:`grader.authoring.manifest`.
"""

from __future__ import annotations

from grader.authoring.manifest import Course, Exercise


def label(exercise: Exercise) -> str:
    """The one label every tool uses: the manifest's number and name ("0.4 gradcheck")."""
    return exercise.title


def split(course: Course, spec: str) -> tuple[str | None, str]:
    """("phase0_math", "gradcheck") from "phase0_math.gradcheck" (or ":", "/"); (None, spec) otherwise."""
    spec = spec.strip()
    for sep in (".", ":", "/"):
        head, found, rest = spec.partition(sep)
        if found and head in course.packages and rest:
            return head, rest
    return None, spec


def resolve(course: Course, spec: str, package: str | None = None) -> Exercise:
    """The exercise ``spec`` names (see the module's docstring); LookupError says why not, and for an
    ambiguous name lists the choices with their numbers."""
    named, rest = split(course, spec)
    if named is not None:
        if package is not None and named != package:
            raise LookupError(f"{spec!r} is an exercise of {named}, not of {package}")
        package = named
    try:
        return course.resolve(rest, package=package)
    except LookupError as exc:
        pool = course.of(package) if package else course.exercises
        found = [e for e in pool if e.name == rest or rest in e.markers]
        if len({e.package for e in found}) < 2:
            raise
        choices = ", ".join(f"{e.number} {e.name} ({e.package})" for e in found)
        example = found[0]
        raise LookupError(f"{rest!r} names exercises of several phases: {choices}; give the number "
                          f"(EX={example.number}) or the phase (EX={example.package}.{rest})") from exc
