using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace Webhooks.AspNetCore.Portal.Endpoints;

/// <summary>
/// The portal's files, embedded in the assembly: served as they are (assets) or as HTML templates
/// whose <c>{{name}}</c> holes are filled with HTML-encoded values. Every answer carries the
/// portal's security headers.
/// </summary>
internal sealed class WebhookPortalPages(IOptions<WebhookPortalOptions> options, WebhookPortalPaths paths)
{
    /// <summary>
    /// No inline script or style, nothing from another origin, no plugins, no framing, no
    /// <c>&lt;base&gt;</c> rewriting, and Trusted Types enforced so no string can become markup or script
    /// through the DOM (the scripts build every element with <c>createElement</c> and <c>textContent</c>).
    /// </summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

    private static readonly FrozenDictionary<string, Asset> Assets = LoadAssets();

    public static bool TryGetAsset(string path, out Asset asset) => Assets.TryGetValue(path, out asset!);

    /// <summary>Writes an HTML page from a template: <paramref name="values"/> fill its <c>{{name}}</c> holes, HTML-encoded.</summary>
    public Task WritePageAsync(HttpContext context, string template, int statusCode, IReadOnlyDictionary<string, string> values)
    {
        var html = Encoding.UTF8.GetString(Assets[template].Content);
        foreach (var (name, value) in values)
        {
            html = html.Replace("{{" + name + "}}", HtmlEncoder.Default.Encode(value), StringComparison.Ordinal);
        }

        html = html.Replace("{{title}}", HtmlEncoder.Default.Encode(options.Value.Title), StringComparison.Ordinal);
        var response = context.Response;
        response.StatusCode = statusCode;
        response.ContentType = "text/html; charset=utf-8";
        SetPageHeaders(response);
        return response.WriteAsync(html, context.RequestAborted);
    }

    /// <summary>A page with a heading and a sentence: refusals, ended sessions.</summary>
    public Task WriteMessageAsync(HttpContext context, int statusCode, string heading, string message) =>
        WritePageAsync(context, "message.html", statusCode, new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["base"] = paths.PortalBase(context),
            ["heading"] = heading,
            ["message"] = message,
        });

    public static void SetPageHeaders(HttpResponse response)
    {
        var headers = response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers["Referrer-Policy"] = "no-referrer";
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()";
        headers.CacheControl = "no-store";
    }

    /// <summary>Writes an asset, or 304 when the browser's copy is current (assets are revalidated, not cached blindly, so an upgrade shows at once).</summary>
    public static Task WriteAssetAsync(HttpContext context, Asset asset)
    {
        var response = context.Response;
        var headers = response.Headers;
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Resource-Policy"] = "same-origin";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Contains(asset.ETag, StringComparison.Ordinal)))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        return HttpMethods.IsHead(context.Request.Method)
            ? Task.CompletedTask
            : response.Body.WriteAsync(asset.Content, context.RequestAborted).AsTask();
    }

    private static FrozenDictionary<string, Asset> LoadAssets()
    {
        const string Prefix = "Portal/";
        var assembly = typeof(WebhookPortalPages).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames())
        {
            var path = name.Replace('\\', '/');
            if (!path.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var content = copy.ToArray();
            var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 12)) + "\"";
            assets[path[Prefix.Length..]] = new Asset(content, ContentTypeOf(path), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string path) => Path.GetExtension(path) switch
    {
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };

    /// <summary>One embedded file.</summary>
    internal sealed record Asset(byte[] Content, string ContentType, string ETag);
}
