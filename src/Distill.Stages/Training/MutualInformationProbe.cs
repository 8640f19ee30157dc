using Distill.Stages.Engine;
using Distill.Analysis.Information;
using Distill.Learning.Data;
using Distill.Learning.Models;
using static TorchSharp.torch;

namespace Distill.Stages.Training;

/// <summary>
/// The paper's estimate of I(X; Y) between a training example's index and the difference of two
/// class logits, taken at each epoch end: fixed examples (the first N of each of two classes), fixed
/// augmentations (view l uses stream l), the model in eval mode.
/// </summary>
public sealed class MutualInformationProbe
{
    private readonly ClassifierNet _model;
    private readonly BatchMaker _batches;
    private readonly long[] _examples;
    private readonly int _classA, _classB, _augmentations;
    private readonly AugmentationSpec _augmentation;
    private readonly long _seed;

    public MutualInformationProbe(ClassifierNet model, PreparedData data, Device device, AugmentationSpec augmentation,
        int classA, int classB, int examplesPerClass, int augmentations, long seed)
    {
        _model = model;
        _batches = new BatchMaker(data.Train, data.Statistics, device);
        _classA = classA;
        _classB = classB;
        _augmentations = augmentations;
        _augmentation = augmentation;
        _seed = seed;
        var labels = data.Train.Labels;
        _examples = Enumerable.Range(0, labels.Length).Where(i => labels[i] == classA).Take(examplesPerClass)
            .Concat(Enumerable.Range(0, labels.Length).Where(i => labels[i] == classB).Take(examplesPerClass))
            .Select(i => (long)i).ToArray();
        if (_examples.Length < 2)
            throw new StageInputException($"mutual information needs examples of classes {classA} and {classB}; the training split has {_examples.Length}");
    }

    public int Examples => _examples.Length;

    public MutualInformationEstimate Measure()
    {
        var y = new double[_examples.Length, _augmentations];
        bool wasTraining = _model.training;
        _model.eval();
        try
        {
            using var noGrad = no_grad();
            for (int view = 0; view < _augmentations; view++)
            {
                for (int start = 0; start < _examples.Length; start += 512)
                {
                    using var scope = NewDisposeScope();
                    var indices = _examples.AsSpan(start, Math.Min(512, _examples.Length - start));
                    var (inputs, _) = _batches.Make(indices, _augmentation, _seed, view);
                    var logits = _model.forward(inputs);
                    var difference = (logits[.., _classA] - logits[.., _classB]).to(CPU).to_type(ScalarType.Float64).data<double>().ToArray();
                    for (int i = 0; i < difference.Length; i++) y[start + i, view] = difference[i];
                }
            }
        }
        finally
        {
            _model.train(wasTraining);
        }
        return MutualInformation.Estimate(y);
    }
}
