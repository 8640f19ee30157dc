using Distill.Learning.Training;

namespace Distill.Learning.Tests.Training;

public class ContrastNegativesTests
{
    // 30 examples of 3 classes, interleaved: example i is of class i % 3, so 20 examples are of other classes.
    private static readonly long[] Labels = [.. Enumerable.Range(0, 30).Select(i => (long)(i % 3))];

    [Fact]
    public void Each_example_is_first_then_distinct_negatives_of_other_classes()
    {
        var negatives = new ContrastNegatives(Labels, 12, seed: 3);
        long[] examples = [0, 4, 29];
        var drawn = negatives.Draw(examples, epoch: 0);

        Assert.Equal(examples.Length * 13, drawn.Length);
        for (int b = 0; b < examples.Length; b++)
        {
            var row = drawn.AsSpan(b * 13, 13).ToArray();
            Assert.Equal(examples[b], row[0]);
            Assert.All(row.Skip(1), n => Assert.NotEqual(Labels[examples[b]], Labels[n]));
            Assert.Equal(12, row.Skip(1).Distinct().Count()); // without replacement: 12 of the 20 others
        }
    }

    [Fact]
    public void All_other_examples_are_drawn_when_asked_for_exactly_their_number()
    {
        var drawn = new ContrastNegatives(Labels, 20, seed: 3).Draw([7], epoch: 2);
        var expected = Enumerable.Range(0, 30).Where(i => i % 3 != 7 % 3).Select(i => (long)i).Order();
        Assert.Equal(expected, drawn.Skip(1).Order());
    }

    [Fact]
    public void More_negatives_than_other_examples_are_drawn_with_replacement_from_them()
    {
        var drawn = new ContrastNegatives(Labels, 200, seed: 3).Draw([5], epoch: 0).Skip(1).ToArray();
        Assert.Equal(200, drawn.Length);
        Assert.All(drawn, n => Assert.NotEqual(Labels[5], Labels[n]));
        Assert.Equal(20, drawn.Distinct().Count()); // 200 uniform draws of 20 reach them all
    }

    [Fact]
    public void Draws_are_a_function_of_seed_epoch_and_example_only()
    {
        var negatives = new ContrastNegatives(Labels, 8, seed: 3);
        var alone = negatives.Draw([10], epoch: 1);
        var inBatch = negatives.Draw([2, 10, 11], epoch: 1).AsSpan(9, 9).ToArray();
        Assert.Equal(alone, inBatch); // the batch around an example does not change its negatives
        Assert.Equal(alone, new ContrastNegatives(Labels, 8, seed: 3).Draw([10], epoch: 1));
        Assert.NotEqual(alone, negatives.Draw([10], epoch: 2));
        Assert.NotEqual(alone, new ContrastNegatives(Labels, 8, seed: 4).Draw([10], epoch: 1));
    }

    [Fact]
    public void One_class_has_no_negatives()
    {
        var error = Assert.Throws<ArgumentException>(() => new ContrastNegatives([1, 1, 1], 2, seed: 0));
        Assert.Contains("two classes", error.Message);
    }
}
