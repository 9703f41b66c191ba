#!/bin/sh
# scripts/check-snippets must catch what it claims to: a tree whose docs
# are right passes, and each kind of drift, one at a time, fails with its
# own message.  Usage: check_snippets.sh CHECKER SRCDIR BUILDDIR CC.  TAP.
set -u
checker=$1 src=$2 build=$3 cc=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

tree() { # a fresh tree in $tmp/t: the real tools, lib and Makefile, a fake doc
	rm -rf "$tmp/t"
	mkdir -p "$tmp/t/examples/t" "$tmp/t/docs"
	for f in tools lib include Makefile; do ln -s "$src/$f" "$tmp/t/$f"; done
	printf '%s\n' 'int main(void)' '{' '	/* snippet: r */' '	return 0;' \
		'	/* snippet end */' '}' >"$tmp/t/examples/t/a.c"
	cp "$tmp/t/examples/t/a.c" "$tmp/t/examples/t/b.c"
	cat >"$tmp/t/docs/d.md" <<'DOC'
# A doc

<!-- snippet: examples/t/a.c:r -->
```c
return 0;
```

<!-- compile -->
```c
struct udrv_device *dev;

if (udrv_open("00:02.0", NULL, &dev) == 0)
	udrv_close(dev);
```

```sh
make all
tools/udrv-vm --profile stub -- sh -c 'edu -s $UDRV_EDU info'
```

<!-- compile -->
```c
#include <stdio.h>
#include <udrv/udrv.h>

printf("%s\n", udrv_last_error());
```

```
$ edu -s 0000:00:02.0 info
edu 0000:00:02.0 via uio
```
DOC
	touch "$tmp/t/README.md"
}

n=0 fails=0
run() { # run NAME STATUS TEXT: the checker exits with STATUS and prints TEXT
	n=$((n + 1))
	out=$("$checker" --cc "$cc" "$tmp/t" "$build" 2>&1)
	rc=$?
	if [ "$rc" = "$2" ] && echo "$out" | grep -qF -- "$3"; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1 (exit $rc, wanted $2 and: $3)"
		echo "$out" | sed 's/^/# /'
		fails=$((fails + 1))
	fi
}
edit() { # edit FILE SED-SCRIPT, on a fresh tree
	tree
	sed -i "$2" "$tmp/t/$1"
}

echo "1..17"
tree
run "a correct tree passes" 0 "checked 3 snippets (1 quoted regions, 2 C blocks compiled"
edit docs/d.md 's/^return 0;/return 1;/'
run "a quote that drifted" 1 "docs/d.md:4: the block differs from examples/t/a.c:4 (r)"
edit docs/d.md 's/a.c:r -->/a.c:nope -->/'
run "a region that does not exist" 1 "examples/t/a.c has no region nope (it has: r)"
edit docs/d.md 's/udrv_close(dev)/udrv_close(dev, 1)/'
run "a C block that does not compile" 1 "docs/d.md:9: the C block does not compile"
edit docs/d.md 's/^make all/make all nosuchtarget/'
run "a make target that does not exist" 1 "make has no target nosuchtarget"
edit docs/d.md 's/--profile stub/--profile stub --bogus/'
run "an option udrv-vm does not have" 1 "udrv-vm has no option --bogus"
edit docs/d.md "s/edu -s/edu --frob -s/"
run "an option edu does not have" 1 "edu has no option --frob"
edit docs/d.md "s/'edu -s/'nosuchprog -s/"
run "a program the guest does not have" 1 "the guest has no program nosuchprog"
edit examples/t/b.c 's/return 0;/return 2;/'
run "example regions that drifted apart" 1 "examples/t/b.c:4: region r differs from examples/t/a.c:4"
edit docs/d.md 's/^make all$/tools\/nothere --x/'
run "a path that does not exist" 1 "docs/d.md:17: tools/nothere does not exist"
edit docs/d.md 's/^<!-- compile -->$/<!-- compile -->\ntext/'
run "a marker without a block" 1 "docs/d.md:8: marker not followed by a code block"
# --verbose is in udrv-vm --help, but only in an example of its own (run in the guest).
edit docs/d.md 's/--profile stub/--profile stub --verbose/'
run "an option udrv-vm --help only mentions" 1 "udrv-vm has no option --verbose (not defined"
edit docs/d.md "s/'edu -s \$UDRV_EDU info'/'edu -s \$UDRV_EDU explian'/"
run "a command edu does not have" 1 "docs/d.md:18: edu has no command explian (edu --help lists"
edit docs/d.md 's/^\$ edu -s/$ edu --frob -s/'
run "an option in a transcript's \$ line" 1 "docs/d.md:30: edu has no option --frob"
edit docs/d.md 's/^\$ edu -s 0000:00:02.0 info/$ edu -s 0000:00:02.0 inf/'
run "a command in a transcript's \$ line" 1 "docs/d.md:30: edu has no command inf"
edit docs/d.md '/^#include <stdio.h>$/d'
run "a block with its own #include gets no other" 1 "docs/d.md:22: the C block does not compile"
# --update copies the region in: an empty block and a drifted one both come right.
edit docs/d.md 's/^return 0;/return 1;/'
n=$((n + 1))
if "$checker" --update --cc "$cc" "$tmp/t" "$build" >"$tmp/out" 2>&1 &&
	grep -qF "docs/d.md:4: updated from examples/t/a.c:r" "$tmp/out" &&
	sed -n 5p "$tmp/t/docs/d.md" | grep -qx 'return 0;'; then
	echo "ok $n - --update copies a drifted region in"
else
	echo "not ok $n - --update copies a drifted region in"
	sed 's/^/# /' "$tmp/out"
	fails=$((fails + 1))
fi
echo "# $((n - fails)) passed, $fails failed"
[ $fails = 0 ]
