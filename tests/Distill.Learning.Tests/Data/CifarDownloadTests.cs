using Distill.Learning.Data;
using Distill.Learning.Data.Download;
using Distill.Learning.Tests.Data.Fakes;
using static TorchSharp.torch;

namespace Distill.Learning.Tests.Data;

/// <summary>
/// The CIFAR download path against a real HTTP server on 127.0.0.1 serving archives generated here in
/// the official binary format: retries, resumption, checksum verification, atomic installation.
/// </summary>
public sealed class CifarDownloadTests
{
    private static readonly DownloadOptions Fast = new()
    {
        MaxAttempts = 5,
        BaseDelay = TimeSpan.FromMilliseconds(1),
        MaxDelay = TimeSpan.FromMilliseconds(5),
        ResponseTimeout = TimeSpan.FromSeconds(10),
        ReadTimeout = TimeSpan.FromSeconds(10),
    };

    [Fact]
    public async Task DownloadsVerifiesExtractsAndLoadsCifar10()
    {
        var data = CifarTestData.Cifar10();
        var archive = data.ToTarGz();
        await using var server = new LoopbackHttpServer((request, response) => LoopbackHttpServer.ServeAsync(response, archive, request.Range));
        using var scratch = new CifarScratchDirectory();
        var progress = new List<DownloadProgress>();
        var dataset = new CifarDataset(new CifarOptions
        {
            // A trailing separator must not put the staging folder inside the data folder.
            DataDirectory = scratch.Combine("cifar10") + Path.DirectorySeparatorChar,
            Download = true,
            Url = server.Url("/cifar-10-binary.tar.gz"),
            Checksum = Checksum.Parse(CifarTestData.Md5(archive)),
            DownloadOptions = Fast,
            Progress = progress.Add,
        });

        using (var train = dataset.Load(SourceSplit.Train))
        {
            Assert.Equal(new long[] { 100, 3, 32, 32 }, train.Images.shape);
            Assert.Equal(ScalarType.Byte, train.Images.dtype);
            Assert.Equal(data.ExpectedLabels(train: true), train.Labels);
            Assert.Equal(data.ExpectedPixels(train: true), train.Images.data<byte>().ToArray());
            Assert.Equal(CifarTestData.Cifar10ClassNames, train.ClassNames);
            // Record 1 of data_batch_2 (image 21): label (1*3 + 1) % 10, and the G plane starts at 37 + 11 + 1024 + 85.
            Assert.Equal(4, train.Labels[21]);
            Assert.Equal((byte)((37 + 11 + 1024 + 85) % 256), train.Images[21, 1, 0, 0].item<byte>());
        }
        using (var test = dataset.Load(SourceSplit.Test))
        {
            Assert.Equal(new long[] { 20, 3, 32, 32 }, test.Images.shape);
            Assert.Equal(data.ExpectedLabels(train: false), test.Labels);
            Assert.Equal(data.ExpectedPixels(train: false), test.Images.data<byte>().ToArray());
        }

        // One request for both loads; the archive is gone and only the complete folder is left.
        Assert.Single(server.Requests);
        Assert.Equal("/cifar-10-binary.tar.gz", server.Requests[0].Path);
        Assert.Equal(["cifar10", .. data.Files.Keys.Select(n => Path.Combine("cifar10", n)).Order(StringComparer.Ordinal)], scratch.Entries());
        Assert.Equal(new DownloadProgress(archive.Length, archive.Length), progress[^1]);
        Assert.StartsWith("cifar10:", dataset.Fingerprint());
    }

    [Fact]
    public async Task DownloadsCifar100OnceForBothLabelKinds()
    {
        var data = CifarTestData.Cifar100(recordsPerFile: 12);
        var archive = data.ToTarGz();
        await using var server = new LoopbackHttpServer((request, response) => LoopbackHttpServer.ServeAsync(response, archive, request.Range));
        using var scratch = new CifarScratchDirectory();
        var options = new CifarOptions
        {
            Variant = CifarVariant.Cifar100,
            DataDirectory = scratch.Combine("cifar100"),
            Download = true,
            Url = server.Url("/cifar-100-binary.tar.gz"),
            Checksum = Checksum.Parse(CifarTestData.Md5(archive)),
            DownloadOptions = Fast,
        };

        using var fine = new CifarDataset(options).Load(SourceSplit.Test);
        using var coarse = new CifarDataset(options with { Labels = CifarLabels.Coarse }).Load(SourceSplit.Test);

        Assert.Single(server.Requests); // the second dataset found the complete folder
        Assert.Equal(data.ExpectedLabels(train: false), fine.Labels);
        Assert.Equal(data.ExpectedLabels(train: false, coarse: true), coarse.Labels);
        Assert.Equal((100, 20), (fine.ClassNames.Count, coarse.ClassNames.Count));
        Assert.Equal(data.ExpectedPixels(train: false), coarse.Images.data<byte>().ToArray());
    }

    [Fact]
    public async Task RetriesServiceUnavailableThenSucceeds()
    {
        var archive = CifarTestData.Cifar10(recordsPerFile: 3).ToTarGz();
        await using var server = new LoopbackHttpServer((request, response) => request.Index < 2
            ? LoopbackHttpServer.StatusAsync(response, 503)
            : LoopbackHttpServer.ServeAsync(response, archive, request.Range));
        using var scratch = new CifarScratchDirectory();
        var retries = new List<DownloadRetry>();
        using var downloader = new ResilientDownloader(Fast with { OnRetry = retries.Add });

        var target = scratch.Combine("archive.tar.gz");
        await downloader.DownloadAsync(server.Url("/a.tar.gz"), target, Checksum.Parse(CifarTestData.Md5(archive)));

        Assert.Equal(3, server.Requests.Count);
        Assert.Equal([1, 2], retries.Select(r => r.Attempt));
        Assert.All(retries, r => Assert.Contains("503", r.Error.Message));
        Assert.All(retries, r => Assert.Equal(server.Url("/a.tar.gz"), r.Url));
        Assert.Equal(archive, File.ReadAllBytes(target));
        Assert.Equal(["archive.tar.gz"], scratch.Entries());
    }

    [Fact]
    public async Task ResumesWithRangeAfterConnectionDrop()
    {
        var archive = CifarTestData.Cifar10().ToTarGz();
        var half = archive.Length / 2;
        await using var server = new LoopbackHttpServer((request, response) => request.Index == 0
            ? LoopbackHttpServer.DropAfterAsync(response, archive, half)
            : LoopbackHttpServer.ServeAsync(response, archive, request.Range));
        using var scratch = new CifarScratchDirectory();
        using var downloader = new ResilientDownloader(Fast);

        var target = scratch.Combine("archive.tar.gz");
        // SHA-256 here, MD5 elsewhere: both kinds of checksum are verified.
        await downloader.DownloadAsync(server.Url("/a.tar.gz"), target, Checksum.Parse(CifarTestData.Sha256(archive)));

        var requests = server.Requests;
        Assert.Equal(2, requests.Count);
        Assert.Null(requests[0].Range);
        Assert.NotNull(requests[1].Range);
        var resumedAt = long.Parse(requests[1].Range!["bytes=".Length..^1]);
        Assert.InRange(resumedAt, 1, half); // it kept what arrived and asked only for the rest
        Assert.Equal(archive, File.ReadAllBytes(target));
        Assert.Equal(["archive.tar.gz"], scratch.Entries());
    }

    [Fact]
    public async Task RestartsWhenServerIgnoresRange()
    {
        var archive = CifarTestData.Cifar10().ToTarGz();
        await using var server = new LoopbackHttpServer((request, response) => request.Index == 0
            ? LoopbackHttpServer.DropAfterAsync(response, archive, archive.Length / 3)
            : LoopbackHttpServer.ServeAsync(response, archive, request.Range, honourRange: false));
        using var scratch = new CifarScratchDirectory();
        using var downloader = new ResilientDownloader(Fast);

        var target = scratch.Combine("archive.tar.gz");
        await downloader.DownloadAsync(server.Url("/a.tar.gz"), target, Checksum.Parse(CifarTestData.Md5(archive)));

        Assert.Equal(2, server.Requests.Count);
        Assert.NotNull(server.Requests[1].Range); // asked to resume, got 200 with everything: must not append
        Assert.Equal(archive, File.ReadAllBytes(target));
    }

    [Fact]
    public async Task RetriesAStalledBody()
    {
        var archive = CifarTestData.Cifar10(recordsPerFile: 2).ToTarGz();
        await using var server = new LoopbackHttpServer(async (request, response) =>
        {
            if (request.Index > 0)
            {
                await LoopbackHttpServer.ServeAsync(response, archive, request.Range);
                return;
            }
            response.ContentLength64 = archive.Length;
            await response.OutputStream.WriteAsync(archive.AsMemory(0, 100));
            await response.OutputStream.FlushAsync();
            await Task.Delay(TimeSpan.FromSeconds(2)); // far past the read timeout
            response.Abort();
        });
        using var scratch = new CifarScratchDirectory();
        var retries = new List<DownloadRetry>();
        using var downloader = new ResilientDownloader(Fast with { ReadTimeout = TimeSpan.FromMilliseconds(300), OnRetry = retries.Add });

        var target = scratch.Combine("archive.tar.gz");
        await downloader.DownloadAsync(server.Url("/a.tar.gz"), target, Checksum.Parse(CifarTestData.Md5(archive)));

        Assert.IsType<TimeoutException>(Assert.Single(retries).Error);
        Assert.Equal(archive, File.ReadAllBytes(target));
    }

    [Fact]
    public async Task ChecksumMismatchIsNotRetriedAndLeavesNothing()
    {
        var archive = CifarTestData.Cifar10().ToTarGz();
        var corrupted = archive.ToArray();
        corrupted[corrupted.Length / 2] ^= 0xFF;
        await using var server = new LoopbackHttpServer((request, response) => LoopbackHttpServer.ServeAsync(response, corrupted, request.Range));
        using var scratch = new CifarScratchDirectory();
        var expected = Checksum.Parse(CifarTestData.Md5(archive));
        var dataset = new CifarDataset(new CifarOptions
        {
            DataDirectory = scratch.Combine("cifar10"),
            Download = true,
            Url = server.Url("/cifar-10-binary.tar.gz"),
            Checksum = expected,
            DownloadOptions = Fast,
        });

        var error = Assert.Throws<DatasetException>(() => dataset.Load(SourceSplit.Train));

        Assert.Contains(server.Url("/cifar-10-binary.tar.gz").ToString(), error.Message);
        Assert.Contains(expected.ToString(), error.Message);
        Assert.Contains(CifarTestData.Md5(corrupted), error.Message);
        Assert.Single(server.Requests);
        Assert.Empty(scratch.Entries()); // no archive, no .part, no partial or final folder
    }

    [Fact]
    public async Task NotFoundIsNotRetried()
    {
        await using var server = new LoopbackHttpServer((_, response) => LoopbackHttpServer.StatusAsync(response, 404));
        using var scratch = new CifarScratchDirectory();
        var dataset = new CifarDataset(new CifarOptions
        {
            Variant = CifarVariant.Cifar100,
            DataDirectory = scratch.Combine("cifar100"),
            Download = true,
            Url = server.Url("/missing.tar.gz"),
            DownloadOptions = Fast,
        });

        var error = Assert.Throws<DatasetException>(() => dataset.Load(SourceSplit.Test));

        Assert.Contains("404", error.Message);
        Assert.Contains(server.Url("/missing.tar.gz").ToString(), error.Message);
        Assert.Single(server.Requests);
        Assert.Empty(scratch.Entries());
    }

    [Fact]
    public async Task GivesUpAfterMaxAttemptsAndKeepsNothingButThePart()
    {
        var archive = CifarTestData.Cifar10(recordsPerFile: 2).ToTarGz();
        await using var server = new LoopbackHttpServer((request, response) => request.Index == 0
            ? LoopbackHttpServer.DropAfterAsync(response, archive, archive.Length / 2)
            : LoopbackHttpServer.StatusAsync(response, 500));
        using var scratch = new CifarScratchDirectory();
        using var downloader = new ResilientDownloader(Fast with { MaxAttempts = 3 });

        var target = scratch.Combine("archive.tar.gz");
        var error = await Assert.ThrowsAsync<DatasetException>(
            () => downloader.DownloadAsync(server.Url("/a.tar.gz"), target, Checksum.Parse(CifarTestData.Md5(archive))));

        Assert.Equal(3, server.Requests.Count);
        Assert.Contains("after 3 attempts:", error.Message);
        Assert.Contains("500", error.Message);
        // The bytes that did arrive stay for the next run to resume from; the target never appears.
        Assert.Equal(["archive.tar.gz.part"], scratch.Entries());
    }

    [Fact]
    public async Task OneAttemptMeansNoRetry()
    {
        await using var server = new LoopbackHttpServer((_, response) => LoopbackHttpServer.StatusAsync(response, 503));
        using var scratch = new CifarScratchDirectory();
        using var downloader = new ResilientDownloader(Fast with { MaxAttempts = 1 });

        var error = await Assert.ThrowsAsync<DatasetException>(
            () => downloader.DownloadAsync(server.Url("/a.tar.gz"), scratch.Combine("a.tar.gz"), expected: null));

        Assert.Contains("after 1 attempt:", error.Message);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task ANonEmptyForeignDirectoryIsNeverDownloadedInto()
    {
        await using var server = new LoopbackHttpServer((_, response) => LoopbackHttpServer.StatusAsync(response, 500));
        using var scratch = new CifarScratchDirectory();
        Directory.CreateDirectory(scratch.Combine("cifar10"));
        File.WriteAllText(scratch.Combine("cifar10", "notes.txt"), "mine");
        var dataset = new CifarDataset(new CifarOptions
        {
            DataDirectory = scratch.Combine("cifar10"),
            Download = true,
            Url = server.Url("/cifar-10-binary.tar.gz"),
            DownloadOptions = Fast,
        });

        var error = Assert.Throws<DatasetException>(() => dataset.Load(SourceSplit.Train));

        Assert.Contains(scratch.Combine("cifar10"), error.Message);
        Assert.Contains("data_batch_1.bin", error.Message);
        Assert.Empty(server.Requests);
        Assert.Equal(["cifar10", Path.Combine("cifar10", "notes.txt")], scratch.Entries());
    }

    [Fact]
    public void ChecksumParsesBothAlgorithmsAndRejectsTheRest()
    {
        var md5 = Checksum.Parse("MD5:C32A1D4AB5D03F1284B67883E8D87530");
        Assert.Equal(ChecksumAlgorithm.Md5, md5.Algorithm);
        Assert.Equal("md5:c32a1d4ab5d03f1284b67883e8d87530", md5.ToString());
        var sha = Checksum.Parse("sha256:" + new string('a', 64));
        Assert.Equal(ChecksumAlgorithm.Sha256, sha.Algorithm);

        Assert.Throws<FormatException>(() => Checksum.Parse("sha1:" + new string('a', 40)));
        Assert.Throws<FormatException>(() => Checksum.Parse("c32a1d4ab5d03f1284b67883e8d87530"));
        Assert.Throws<ArgumentException>(() => Checksum.Parse("md5:" + new string('a', 31)));
        Assert.Throws<ArgumentException>(() => Checksum.Parse("sha256:" + new string('g', 64)));
    }
}
