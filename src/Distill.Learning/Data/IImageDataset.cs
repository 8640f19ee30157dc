namespace Distill.Learning.Data;

/// <summary>The two splits a dataset is published with.</summary>
public enum SourceSplit
{
    Train,
    Test,
}

/// <summary>
/// A source of labelled images (Fashion-MNIST, CIFAR-10/100, a folder of images...). Loading may read
/// files or download them; errors a user can cause are reported as <see cref="DatasetException"/>.
/// </summary>
public interface IImageDataset
{
    /// <summary>Short name, for messages and fingerprints ("fashion-mnist", "cifar10").</summary>
    string Name { get; }

    /// <summary>Loads one published split as uint8 N x C x H x W images with labels.</summary>
    LabeledImages Load(SourceSplit split);

    /// <summary>
    /// A stable identity of the data this source serves (a hash over its source files' content or
    /// sizes and names), used in stage keys so that different data never shares cached results.
    /// </summary>
    string Fingerprint();

    /// <summary>
    /// Checks, without reading images or downloading anything, that the data is where loading will look
    /// (or can be downloaded); throws <see cref="DatasetException"/> saying what to install or where to put it.
    /// </summary>
    void CheckPresent();

    /// <summary>
    /// True when the data is not here yet and the first run downloads it: its fingerprint cannot be known without
    /// downloading, so `distill plan`, which touches nothing, shows such stages as not yet run.
    /// </summary>
    bool AwaitsDownload => false;
}

/// <summary>A dataset problem a user can fix: the message names the file and what is wrong.</summary>
public sealed class DatasetException(string message, Exception? inner = null) : Exception(message, inner);
