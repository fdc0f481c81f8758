// Package route orders stops into a short round trip: pure functions over
// points on Earth, with no clock and no database (internal/visits builds day
// tours with it). A tour starts and ends at node 0 (the depot: the adviser's
// base); it is built by nearest neighbour and improved by 2-opt.
package route

import "math"

// EarthRadiusKm is the mean radius of the Earth (IUGG).
const EarthRadiusKm = 6371.0088

// Point is a position in decimal degrees (WGS 84).
type Point struct{ Lat, Lng float64 }

// DistanceKm is the great-circle (haversine) distance between a and b, the
// formula the planning queue uses in SQL.
func DistanceKm(a, b Point) float64 {
	rad := math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad / 2
	dLng := (b.Lng - a.Lng) * rad / 2
	h := math.Sin(dLat)*math.Sin(dLat) + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*math.Sin(dLng)*math.Sin(dLng)
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(math.Min(1, h)))
}

// Matrix returns the distances between every pair of points.
func Matrix(points []Point) [][]float64 {
	d := make([][]float64, len(points))
	for i := range points {
		d[i] = make([]float64, len(points))
	}
	for i := range points {
		for j := i + 1; j < len(points); j++ {
			d[i][j] = DistanceKm(points[i], points[j])
			d[j][i] = d[i][j]
		}
	}
	return d
}

// Length is the length of the closed tour: through every node of tour in
// order and back to the first.
func Length(d [][]float64, tour []int) float64 {
	var sum float64
	for i := range tour {
		sum += d[tour[i]][tour[(i+1)%len(tour)]]
	}
	return sum
}

// NearestNeighbour returns a tour of every node of d starting at node 0:
// from each node, the nearest one not yet visited (the lowest index on a
// tie, so the result is deterministic).
func NearestNeighbour(d [][]float64) []int {
	n := len(d)
	if n == 0 {
		return nil
	}
	tour := make([]int, 0, n)
	seen := make([]bool, n)
	cur := 0
	tour, seen[0] = append(tour, 0), true
	for len(tour) < n {
		next, best := -1, math.Inf(1)
		for j := 0; j < n; j++ {
			if !seen[j] && d[cur][j] < best {
				next, best = j, d[cur][j]
			}
		}
		tour, seen[next] = append(tour, next), true
		cur = next
	}
	return tour
}

// TwoOpt improves tour (a closed tour whose first node stays first) by
// 2-opt moves — reversing the segment between two edges when the two edges
// it creates are shorter than the two it removes — until no move shortens
// it. The result is never longer than tour. d must be symmetric. tour is
// changed in place and returned.
func TwoOpt(d [][]float64, tour []int) []int {
	n := len(tour)
	if n < 4 {
		return tour
	}
	const eps = 1e-9
	for improved := true; improved; {
		improved = false
		for i := 1; i < n-1; i++ {
			a, b := tour[i-1], tour[i]
			for j := i + 1; j < n; j++ {
				c, e := tour[j], tour[(j+1)%n]
				if d[a][c]+d[b][e] < d[a][b]+d[c][e]-eps {
					reverse(tour[i : j+1])
					b = tour[i]
					improved = true
				}
			}
		}
	}
	return tour
}

func reverse(s []int) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

// Plan returns the order in which to visit points from depot and back: the
// indexes of points, nearest neighbour improved by 2-opt.
func Plan(depot Point, points []Point) []int {
	all := append([]Point{depot}, points...)
	tour := TwoOpt(Matrix(all), NearestNeighbour(Matrix(all)))
	order := make([]int, 0, len(points))
	for _, node := range tour[1:] {
		order = append(order, node-1)
	}
	return order
}
