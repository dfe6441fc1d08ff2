#!/usr/bin/env bash
# Packs every packable project of the solution (the libraries under src/, see Directory.Build.props)
# into artifacts/packages, and fails on any warning. Package validation runs as part of the pack
# (EnablePackageValidation). Then checks what each package holds: for every src/ project in the
# solution a .nupkg with the assembly, its XML docs and a README, and a .snupkg with its PDB.
# Extra arguments go to `dotnet pack` (for example: -p:Version=0.2.0).
set -euo pipefail
cd "$(dirname "$0")/.."

out=artifacts/packages
log=artifacts/pack.log
start=$(date +%s)
rm -rf "$out"
mkdir -p artifacts

# -warnaserror turns every warning (compiler, NuGet NU5xxx, package validation, MSBuild) into an error.
if ! dotnet pack Webhooks.Core.sln -c Release -o "$out" -warnaserror -nologo "$@" >"$log" 2>&1; then
  grep -E ': (error|warning) ' "$log" | sort -u >&2 || tail -n 40 "$log" >&2
  echo "dotnet pack failed (full log: $log)." >&2
  exit 1
fi
if grep -qE ': warning ' "$log"; then
  grep -E ': warning ' "$log" | sort -u >&2
  echo "dotnet pack printed warnings (full log: $log)." >&2
  exit 1
fi

# The packable projects are the solution's projects under src/ (Directory.Build.props makes them so).
mapfile -t projects < <(dotnet sln Webhooks.Core.sln list | tr '\\' '/' | grep -E '^src/.*\.csproj$')
if [ "${#projects[@]}" -eq 0 ]; then
  echo "No src/ project found in Webhooks.Core.sln." >&2
  exit 1
fi

python3 - "$out" "$(( $(date +%s) - start ))" "${projects[@]}" <<'EOF'
import glob, os, sys, zipfile

out, seconds, projects = sys.argv[1], sys.argv[2], sys.argv[3:]
problems = []
for project in projects:
    package_id = os.path.splitext(os.path.basename(project))[0]
    nupkgs = [p for p in glob.glob(os.path.join(out, package_id + ".*.nupkg"))
              if not p.endswith(".symbols.nupkg") and os.path.basename(p)[len(package_id) + 1].isdigit()]
    if len(nupkgs) != 1:
        problems.append(f"{package_id}: expected one .nupkg in {out}, found {len(nupkgs)}")
        continue
    nupkg = nupkgs[0]
    snupkg = nupkg[:-len(".nupkg")] + ".snupkg"
    with zipfile.ZipFile(nupkg) as z:
        names = set(z.namelist())
        nuspec = z.read(package_id + ".nuspec").decode("utf-8")
    for required in (f"lib/net10.0/{package_id}.dll", f"lib/net10.0/{package_id}.xml", "README.md"):
        if required not in names:
            problems.append(f"{package_id}: {os.path.basename(nupkg)} lacks {required}")
    for element in ("<description>", "<tags>", "<readme>README.md</readme>", "<license type=\"expression\">"):
        if element not in nuspec:
            problems.append(f"{package_id}: the nuspec lacks {element}")
    if not os.path.exists(snupkg):
        problems.append(f"{package_id}: no symbols package {os.path.basename(snupkg)}")
    else:
        with zipfile.ZipFile(snupkg) as z:
            if f"lib/net10.0/{package_id}.pdb" not in z.namelist():
                problems.append(f"{package_id}: {os.path.basename(snupkg)} lacks lib/net10.0/{package_id}.pdb")
    print(f"  {os.path.basename(nupkg)} + .snupkg")

if problems:
    print("\n".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"== {len(projects)} packages in {out}, validated, no warnings ({seconds} s)")
EOF
