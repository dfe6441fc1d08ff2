using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Webhooks.AspNetCore;
using Webhooks.AspNetCore.Endpoints;
using Webhooks.AspNetCore.Owners;
using Webhooks.Core.DependencyInjection;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers what the <c>MapWebhooks()</c> management endpoints use.</summary>
public static class WebhooksEndpointsBuilderExtensions
{
    /// <summary>
    /// Registers what <c>MapWebhooks()</c> needs: its options (validated at start), the default
    /// owner resolver (the user's id claim) and the ProblemDetails service its errors are written
    /// with (also in trimmed and native AOT apps). Safe to call several times.
    /// </summary>
    /// <param name="builder">The webhooks builder from <c>AddWebhooks()</c>.</param>
    /// <param name="configure">Changes <see cref="WebhookEndpointOptions"/>.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddEndpoints(this IWebhooksBuilder builder, Action<WebhookEndpointOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (configure is not null)
        {
            services.Configure(configure);
        }

        services.AddOptions<WebhookEndpointOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WebhookEndpointOptions>, WebhookEndpointOptionsValidator>());

        // TryAdd is used so that an application's own resolver, registered before or after, wins.
        services.TryAddSingleton<IWebhookOwnerResolver, ClaimsWebhookOwnerResolver>();
        services.TryAddSingleton<WebhookEndpointsMarker>();

        // Types the hand-parsed query parameters (limit, active) in ApiExplorer, so OpenAPI documents show them typed.
        services.TryAddEnumerable(ServiceDescriptor.Transient<IApiDescriptionProvider, WebhookApiDescriptionProvider>());
        services.AddProblemDetails();
        return builder;
    }

    /// <summary>
    /// Replaces the owner resolver, for example with one that resolves the caller's tenant. It is
    /// resolved per request, so it may depend on scoped services.
    /// </summary>
    /// <typeparam name="TResolver">The resolver.</typeparam>
    /// <param name="builder">The webhooks builder.</param>
    /// <param name="lifetime">Its service lifetime.</param>
    /// <returns>The builder.</returns>
    public static IWebhooksBuilder AddOwnerResolver<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TResolver>(this IWebhooksBuilder builder, ServiceLifetime lifetime = ServiceLifetime.Scoped)
        where TResolver : class, IWebhookOwnerResolver
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddEndpoints();
        builder.Services.RemoveAll<IWebhookOwnerResolver>();
        builder.Services.Add(new ServiceDescriptor(typeof(IWebhookOwnerResolver), typeof(TResolver), lifetime));
        return builder;
    }
}

/// <summary>Checks the endpoint settings at start and reports each bad one with what to fix.</summary>
internal sealed class WebhookEndpointOptionsValidator : IValidateOptions<WebhookEndpointOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookEndpointOptions options)
    {
        var failures = new List<string>();
        if (options.MaxRequestBodySize is < 1024 or > 16 * 1024 * 1024)
        {
            failures.Add($"Webhooks endpoints: MaxRequestBodySize is {options.MaxRequestBodySize}; use 1024 to 16777216 bytes.");
        }

        if (options.DefaultPageSize is < 1 or > WebhookPaging.MaxLimit)
        {
            failures.Add($"Webhooks endpoints: DefaultPageSize is {options.DefaultPageSize}; use 1 to {WebhookPaging.MaxLimit}.");
        }

        if (string.IsNullOrWhiteSpace(options.OwnerClaimType))
        {
            failures.Add("Webhooks endpoints: OwnerClaimType must name a claim type, such as ClaimTypes.NameIdentifier or \"sub\".");
        }

        foreach (var origin in options.TrustedOrigins)
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || origin.EndsWith('/') || uri.UserInfo.Length > 0 || uri.Fragment.Length > 0)
            {
                failures.Add($"Webhooks endpoints: TrustedOrigins has '{origin}'; give an origin such as https://app.example.com (scheme, host, port if not the default; no path or trailing slash).");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
