"""Star alleles and HLA names shown through Streamlit markdown (key findings, drug table cells) stay literal."""

from __future__ import annotations

import pytest

from components.tables import plain


@pytest.mark.parametrize(("text", "escaped"), [
    ("Clopidogrel: CYP2C19 Poor Metabolizer (*2/*2)",
     r"Clopidogrel\: CYP2C19 Poor Metabolizer \(\*2\/\*2\)"),
    ("HLA-B*57:01 typing", r"HLA\-B\*57\:01 typing"),
    ("rs_1 [x] $5 a|b `c` ~d~ <e> #f \\", r"rs\_1 \[x\] \$5 a\|b \`c\` \~d\~ \<e\> \#f \\"),
    ("Reduce starting dose (30-80% of standard).", r"Reduce starting dose \(30\-80\% of standard\)\."),
])
def test_plain_escapes_markdown_marks(text: str, escaped: str) -> None:
    assert plain(text) == escaped
