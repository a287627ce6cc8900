using System.Globalization;
using System.Numerics;

namespace Tusk.Cli.Bench;

/// <summary>
/// Log-linear histogram of latencies in nanoseconds: values below 32 get exact buckets; above, each power
/// of two is split into 32 sub-buckets, so a percentile is within ~3% of the true value. Recording is a few
/// instructions and allocation-free. One instance per benchmark thread (not thread-safe); merge at the end.
/// </summary>
internal sealed class LatencyHistogram
{
    private const int SubBucketBits = 5;
    private const int SubBuckets = 1 << SubBucketBits;           // 32
    private const int BucketCount = (64 - SubBucketBits + 1) * SubBuckets;

    private readonly long[] _counts = new long[BucketCount];
    private long _min = long.MaxValue;
    private long _max;
    private double _sum;
    private double _sumSquares;

    /// <summary>Recorded values.</summary>
    public long Count { get; private set; }

    /// <summary>Records one latency of <paramref name="nanos"/> nanoseconds (negative counts as 0).</summary>
    public void Record(long nanos)
    {
        ulong v = nanos < 0 ? 0 : (ulong)nanos;
        _counts[IndexOf(v)]++;
        Count++;
        _min = Math.Min(_min, (long)v);
        _max = Math.Max(_max, (long)v);
        _sum += v;
        _sumSquares += (double)v * v;
    }

    /// <summary>Adds every value of <paramref name="other"/>.</summary>
    public void Merge(LatencyHistogram other)
    {
        for (int i = 0; i < BucketCount; i++)
        {
            _counts[i] += other._counts[i];
        }
        Count += other.Count;
        _min = Math.Min(_min, other._min);
        _max = Math.Max(_max, other._max);
        _sum += other._sum;
        _sumSquares += other._sumSquares;
    }

    /// <summary>The value (ns) below which <paramref name="percent"/>% of the values fall, interpolated within a bucket.</summary>
    public double Percentile(double percent)
    {
        if (Count == 0)
        {
            return 0;
        }
        double target = Count * percent / 100.0;
        long cumulative = 0;
        for (int i = 0; i < BucketCount; i++)
        {
            long c = _counts[i];
            if (c == 0)
            {
                continue;
            }
            if (cumulative + c >= target)
            {
                (ulong lower, ulong width) = BoundsOf(i);
                double fraction = Math.Clamp((target - cumulative) / c, 0, 1);
                double value = lower + (width * fraction);
                return Math.Clamp(value, _min, _max);
            }
            cumulative += c;
        }
        return _max;
    }

    /// <summary>Mean in nanoseconds.</summary>
    public double Average => Count == 0 ? 0 : _sum / Count;

    /// <summary>Standard deviation in nanoseconds.</summary>
    public double StandardDeviation => Count == 0 ? 0 : Math.Sqrt(Math.Max(0, (_sumSquares / Count) - (Average * Average)));

    /// <summary>Smallest value (ns).</summary>
    public long Min => Count == 0 ? 0 : _min;

    /// <summary>Largest value (ns).</summary>
    public long Max => _max;

    /// <summary>
    /// db_bench's summary, in microseconds: "Count: .. Average: ..  StdDev: ..", "Min: ..  Median: ..  Max: ..",
    /// and "Percentiles: P50: .. P75: .. P99: .. P99.9: .. P99.99: ..".
    /// </summary>
    public string Render()
    {
        const double us = 1000.0;
        return string.Create(CultureInfo.InvariantCulture,
            $"Count: {Count} Average: {Average / us:F4}  StdDev: {StandardDeviation / us:F2}\n" +
            $"Min: {Min / us:F0}  Median: {Percentile(50) / us:F4}  Max: {Max / us:F0}\n" +
            $"Percentiles: P50: {Percentile(50) / us:F2} P75: {Percentile(75) / us:F2} P99: {Percentile(99) / us:F2} " +
            $"P99.9: {Percentile(99.9) / us:F2} P99.99: {Percentile(99.99) / us:F2}");
    }

    private static int IndexOf(ulong v)
    {
        if (v < SubBuckets)
        {
            return (int)v;
        }
        int exponent = 63 - BitOperations.LeadingZeroCount(v);      // >= SubBucketBits
        int shift = exponent - SubBucketBits;
        int sub = (int)(v >> shift) & (SubBuckets - 1);
        return ((shift + 1) * SubBuckets) + sub;
    }

    private static (ulong Lower, ulong Width) BoundsOf(int index)
    {
        if (index < SubBuckets)
        {
            return ((ulong)index, 1);
        }
        int shift = (index / SubBuckets) - 1;
        ulong sub = (ulong)(index % SubBuckets);
        return ((SubBuckets + sub) << shift, 1UL << shift);
    }
}
