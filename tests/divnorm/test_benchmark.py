from zoo.divnorm import benchmark


def test_time_normalizers_times_each_layer_and_the_table_compares_with_layer_norm():
    seconds = benchmark.time_normalizers((2, 8, 8, 4), windows=(3,), rounds=1)
    assert list(seconds) == [benchmark.BASELINE, "zoo ln", "zoo dn 3×3"] and min(seconds.values()) > 0
    table = benchmark.cost_table({benchmark.BASELINE: 0.010, "zoo dn 3×3": 0.015})
    assert table.rows == [[benchmark.BASELINE, "10.0", "1.00×"], ["zoo dn 3×3", "15.0", "1.50×"]]
