import pytest

from cnn_core.geometry import GeometryError, conv_geometry, formula, output_size


@pytest.mark.parametrize("n,k,s,p,d,want", [
    (32, 5, 1, 0, 1, 28), (32, 5, 1, 2, 1, 32), (7, 3, 2, 0, 1, 3), (7, 3, 2, 1, 1, 4),
    (32, 5, 1, 0, 2, 24), (5, 5, 1, 0, 1, 1), (8, 3, 3, 0, 1, 2),
])
def test_output_size_hand_computed(n, k, s, p, d, want):
    assert output_size(n, k, stride=s, padding=p, dilation=d) == want


def test_formula_reads_like_the_lesson():
    assert formula(32, 5) == "(32 − 5 + 2·0)/1 + 1 = 28"
    assert formula(8, 3, stride=3) == "⌊(8 − 3 + 2·0)/3 + 1⌋ = 2"
    assert formula(32, 5, dilation=2) == "(32 − 9 + 2·0)/1 + 1 = 24"


def test_kernel_that_does_not_fit_says_why():
    with pytest.raises(GeometryError, match=r"larger than the padded input \(3 \+ 2·0 = 3\)"):
        output_size(3, 5)
    with pytest.raises(GeometryError, match="stride must be a whole number ≥ 1"):
        output_size(32, 5, stride=0)


def test_conv_geometry_counts_parameter_sharing():
    g = conv_geometry((32, 32, 3), (5, 5), 6)
    assert g["output"] == [28, 28, 6]
    assert g["formula"] == "(32 − 5 + 2·0)/1 + 1 = 28"
    assert g["params"]["conv"] == 6 * (5 * 5 * 3 + 1) == 456
    assert g["params"]["fully_connected"] == 32 * 32 * 3 * 28 * 28 * 6 + 28 * 28 * 6
    assert conv_geometry((10, 12, 1), (3, 3), 1)["formula"].startswith("height: (10 − 3")
