using SkiaSharp;

namespace Distill.Learning.Data;

/// <summary>
/// Decodes PNG/JPEG files with SkiaSharp into square RGB images: resized (stretched) to side x side with
/// high-quality sampling (trilinear with mipmaps when shrinking by 2x or more, Mitchell cubic otherwise),
/// grayscale replicated into three channels, transparency composited onto black. No colour management
/// and no EXIF rotation: the stored pixel values are used as they are, as torchvision's ImageFolder does.
/// </summary>
internal static class ImageDecoder
{
    /// <summary>Writes the image as 3 x side x side bytes (channel planes R, G, B) into <paramref name="destination"/>.</summary>
    public static void DecodeInto(string path, int side, Span<byte> destination)
    {
        if (destination.Length != 3 * side * side)
            throw new ArgumentException($"destination holds {destination.Length} bytes, expected {3 * side * side}");

        using var source = Decode(path);
        var targetInfo = new SKImageInfo(side, side, SKColorType.Rgba8888, SKAlphaType.Premul);
        using var target = new SKBitmap(targetInfo);
        using (var canvas = new SKCanvas(target))
        using (var image = SKImage.FromBitmap(source))
        {
            canvas.Clear(SKColors.Black);
            var shrink = Math.Min((double)source.Width / side, (double)source.Height / side);
            var sampling = shrink >= 2
                ? new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear)
                : new SKSamplingOptions(SKCubicResampler.Mitchell);
            using var paint = new SKPaint();
            canvas.DrawImage(image, new SKRect(0, 0, side, side), sampling, paint);
            canvas.Flush();
        }

        var rgba = target.GetPixelSpan();
        var plane = side * side;
        for (var i = 0; i < plane; i++)
        {
            destination[i] = rgba[4 * i];
            destination[plane + i] = rgba[4 * i + 1];
            destination[2 * plane + i] = rgba[4 * i + 2];
        }
    }

    private static SKBitmap Decode(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (IOException e)
        {
            throw new DatasetException($"{path}: cannot read the image ({e.Message})", e);
        }

        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data)
            ?? throw new DatasetException($"{path}: not a decodable PNG or JPEG image");
        // Native pixel values, no colour-space conversion; RGBA so grayscale comes out replicated.
        var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        if (info.Width <= 0 || info.Height <= 0)
            throw new DatasetException($"{path}: image has no pixels ({info.Width}x{info.Height})");
        var bitmap = new SKBitmap(info);
        var result = codec.GetPixels(info, bitmap.GetPixels());
        if (result != SKCodecResult.Success)
        {
            bitmap.Dispose();
            throw new DatasetException($"{path}: the image failed to decode ({result}; truncated or corrupt)");
        }
        return bitmap;
    }
}
