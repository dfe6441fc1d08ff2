namespace Webhooks.Core.DependencyInjection;

/// <summary>Configures webhooks further; returned by <c>AddWebhooks()</c>. Feature methods are extension methods on it.</summary>
public interface IWebhooksBuilder
{
    /// <summary>The application's services.</summary>
    Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; }
}

internal sealed class WebhooksBuilder(Microsoft.Extensions.DependencyInjection.IServiceCollection services) : IWebhooksBuilder
{
    public Microsoft.Extensions.DependencyInjection.IServiceCollection Services { get; } = services;
}
