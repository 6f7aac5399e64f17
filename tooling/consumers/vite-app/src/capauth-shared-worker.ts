// The shared token worker (one per origin, shared by every tab): capauth's ready-made entry.
import "@capauth/browser/shared-worker"
