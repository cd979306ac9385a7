package report

import "testing"

func TestTmpRender(t *testing.T) {
	files, err := Render("/tmp/rr/fs")
	if err != nil {
		t.Fatal(err)
	}
	t.Log(files)
}
