using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

namespace Webhooks.Benchmarks.Harness;

/// <summary>
/// The baseline: what a team writes by hand instead of the library. One <see cref="HttpClient"/>,
/// each request signed with the Standard Webhooks HMAC (<c>v1,</c> base64 HMAC-SHA256 of
/// "id.timestamp.body") and the same headers and bytes as the library sends.
/// </summary>
public sealed class HandWrittenSender : IDisposable
{
    private static readonly MediaTypeHeaderValue Json = new("application/json") { CharSet = "utf-8" };
    private readonly HttpClient _client;
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(24);
    private long _next;

    public HandWrittenSender(int maxConnections)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _client = new HttpClient(handler);
    }

    public async Task SendAsync(string url, ReadOnlyMemory<byte> body, CancellationToken cancellationToken = default)
    {
        var id = "msg_" + Interlocked.Increment(ref _next).ToString("D22", CultureInfo.InvariantCulture);
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ReadOnlyMemoryContent(body) };
        request.Content.Headers.ContentType = Json;
        request.Headers.TryAddWithoutValidation("User-Agent", "Webhooks.Core/1.0");
        request.Headers.TryAddWithoutValidation("webhook-id", id);
        request.Headers.TryAddWithoutValidation("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation("webhook-signature", Sign(id, timestamp, body.Span));
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await response.Content.CopyToAsync(Stream.Null, cancellationToken);
        response.EnsureSuccessStatusCode();
    }

    private string Sign(string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(id.Length + 24 + body.Length);
        int n = Encoding.UTF8.GetBytes(id, buffer);
        buffer[n++] = (byte)'.';
        timestamp.TryFormat(buffer.AsSpan(n), out var w, default, CultureInfo.InvariantCulture);
        n += w;
        buffer[n++] = (byte)'.';
        body.CopyTo(buffer.AsSpan(n));
        n += body.Length;
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_key, buffer.AsSpan(0, n), mac);
        ArrayPool<byte>.Shared.Return(buffer);
        return "v1," + Convert.ToBase64String(mac);
    }

    public void Dispose() => _client.Dispose();
}
