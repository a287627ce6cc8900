namespace Tusk.Simulation; internal static class Placeholder {}
