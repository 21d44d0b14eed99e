"""report.series_table: each series keeps its own remaining fraction."""

from lthsiren.report import series_table


def _records(remaining_by_round: dict[int, float], psnr: float, seeds=(0, 1)) -> list[dict]:
    return [
        {"round": k, "seed": s, "remaining": rem, "psnr": psnr + s}
        for k, rem in remaining_by_round.items()
        for s in seeds
    ]


def _row(table: str, round_index: int) -> str:
    for line in table.splitlines()[2:]:
        cells = line.split()
        if str(round_index) in cells[:2]:
            return line
    raise AssertionError(f"no row for round {round_index} in\n{table}")


def test_series_of_different_sparsity_print_their_own_remaining():
    dense = _records({0: 1.0, 1: 0.8, 2: 0.64}, 30.0)
    sparse = _records({0: 1.0, 1: 0.5, 2: 0.25}, 20.0)
    # in either order: before the fix the last series' fraction stood for both
    for series in ({"dense": dense, "sparse": sparse}, {"sparse": sparse, "dense": dense}):
        table = series_table(series, [1, 2])
        row1, row2 = _row(table, 1), _row(table, 2)
        assert "30.50±0.71 (80.0%)" in row1 and "20.50±0.71 (50.0%)" in row1
        assert "(64.0%)" in row2 and "(25.0%)" in row2
        assert "remaining % of each series" in table


def test_series_that_agree_share_one_remaining_column():
    a = _records({1: 0.8, 2: 0.64}, 30.0)
    b = _records({1: 0.8, 2: 0.64}, 25.0, seeds=(0,))
    table = series_table({"a": a, "b": b}, [1, 2])
    head = table.splitlines()[0].split()
    assert head[:3] == ["remaining", "%", "round"]
    assert _row(table, 2).split() == ["64.0", "2", "30.50±0.71", "25.00"]
    assert "(" not in table


def test_a_round_one_series_lacks_is_blank_there():
    a = _records({1: 0.8, 2: 0.64}, 30.0)
    b = _records({1: 0.5}, 20.0)
    row2 = _row(series_table({"a": a, "b": b}, [1, 2]), 2)
    assert "(64.0%)" in row2 and "20.50" not in row2


def test_one_seed_prints_its_value_without_a_spread():
    one = _records({1: 0.8}, 30.0, seeds=(0,))
    two = [{"round": 1, "seed": s, "remaining": 0.8, "psnr": 30.0 + 2 * s} for s in (0, 1)]
    row = _row(series_table({"one": one, "two": two}, [1]), 1)
    assert "30.00" in row and "30.00±" not in row and "31.00±1.41" in row


def test_the_sparsity_axis_has_plain_number_ticks():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from lthsiren.report import remaining_axis

    fig, ax = plt.subplots()
    ax.plot([100, 10, 1], [1, 2, 3])
    remaining_axis(ax)
    fig.canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert "100" in labels and "10" in labels and not any("^" in x for x in labels)
    assert ax.xaxis_inverted()
    plt.close(fig)
