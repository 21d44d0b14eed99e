"""What every refused input must look like from the CLI, shared by the hostile-input tests."""


def one_line_error(rc: int, err: str, *fragments: str) -> None:
    """Exit status 2, one line on stderr starting ``lthsiren: error:``, no traceback, and every
    fragment in it."""
    assert rc == 2, err
    assert len(err.splitlines()) == 1 and err.startswith("lthsiren: error: "), err
    assert "Traceback" not in err and all(f in err for f in fragments), err
