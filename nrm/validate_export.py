"""Check an NRM row-level export against its profile, with nothing but this package installed (no
database, no keys): `python -m nrm.validate_export FILE [--profile ctdc|public]`. The same check as
`flask --app nrm stats validate-export`; each fault by line and column; exit status 1 on any fault."""

import argparse
import sys

from nrm.services import exports


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--profile", choices=exports.PROFILES)
    args = parser.parse_args(argv)
    profile, faults = exports.validate(args.path, args.profile)
    for fault in faults[:200]:
        print(f"{args.path}: {fault}")
    if faults:
        print(f"{len(faults)} fault(s): {args.path} does not follow the {profile} profile", file=sys.stderr)
        return 1
    print(f"{args.path}: valid ({profile} profile)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
